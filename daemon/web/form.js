// The report as a form in the page, for units without Excel: a block per task, sent as JSON
// (PUT .../submission); the daemon's checks come back next to the fields they are about.
import { api, loadMe, ApiError } from './api.js';
import { $, el, say, header, dateVi, showReceipt, pageError, pickSeries } from './ui.js';

const STATUSES = [
  ['', '— Chọn tình trạng —'],
  ['not_started', 'Chưa triển khai'],
  ['in_progress', 'Đang thực hiện'],
  ['done', 'Hoàn thành'],
];
const TEXTS = [
  ['result', 'Kết quả thực hiện trong kỳ', 3],
  ['difficulties', 'Khó khăn, vướng mắc', 2],
  ['proposals', 'Kiến nghị, đề xuất', 2],
  ['note', 'Ghi chú', 2],
];
const params = new URLSearchParams(location.search);
const enc = encodeURIComponent;
let tasks = [];
let base = '';

// One labelled field with its error line; control gets the ids.
function field(i, name, label, control) {
  control.id = `f-${i}-${name}`;
  control.setAttribute('aria-describedby', `e-${i}-${name}`);
  return el('div', { class: 'field', id: `w-${i}-${name}` },
    el('label', { for: control.id, text: label }), control,
    el('p', { id: `e-${i}-${name}`, class: 'field-error', hidden: true }));
}

// The block of one task.
function taskBlock(t, i) {
  const status = el('select', {});
  for (const [v, text] of STATUSES) status.append(el('option', { value: v, text }));
  const progress = el('input', { type: 'number', min: '0', max: '100', step: '1', inputmode: 'numeric' });
  const date = el('input', { type: 'date' });
  const meta = [];
  meta.push(t.deadline ? 'Thời hạn: ' + dateVi(t.deadline) : 'Thời hạn: Thường xuyên');
  meta.push(t.lead ? 'Đơn vị chủ trì' : 'Phối hợp (chủ trì: ' + (t.leads || '—') + ')');
  const block = el('fieldset', { class: 'card task', id: `task-${i}` },
    el('legend', {}, el('span', { class: 'code', text: t.task }), ' ', t.title),
    el('p', { class: 'note', text: meta.join(' · ') }),
    el('p', { id: `e-${i}-task`, class: 'field-error', hidden: true }),
    el('div', { class: 'row' },
      field(i, 'status', 'Tình trạng', status),
      field(i, 'progress', 'Tiến độ (%)', progress),
      field(i, 'completed_on', 'Ngày hoàn thành', date)));
  const [first, ...rest] = TEXTS;
  block.append(field(i, first[0], first[1], el('textarea', { rows: String(first[2]) })));
  block.append(el('div', { class: 'row texts' },
    ...rest.map(([name, label, rows]) => field(i, name, label, el('textarea', { rows: String(rows) })))));
  status.addEventListener('change', () => syncStatus(i));
  return block;
}

// Shows the completion date only for a finished task.
function syncStatus(i) {
  const done = $(`f-${i}-status`).value === 'done';
  $(`w-${i}-completed_on`).hidden = !done;
  if (done && $(`f-${i}-progress`).value === '') $(`f-${i}-progress`).value = '100';
}

// Puts values into the blocks: item(task) gives {status, progress, completed_on, texts...}.
function fill(item) {
  tasks.forEach((t, i) => {
    const v = item(t) || {};
    $(`f-${i}-status`).value = v.status || '';
    $(`f-${i}-progress`).value = v.progress === null || v.progress === undefined ? '' : String(v.progress);
    $(`f-${i}-completed_on`).value = v.completed_on || '';
    for (const [name] of TEXTS) $(`f-${i}-${name}`).value = v[name] || '';
    syncStatus(i);
  });
}

// The report as the JSON API takes it.
function collect() {
  const text = (id) => {
    const s = $(id).value.trim();
    return s === '' ? null : s;
  };
  const items = tasks.map((t, i) => {
    const status = $(`f-${i}-status`).value || null;
    const p = $(`f-${i}-progress`).value.trim();
    const item = { task: t.task, status, progress: p === '' ? null : Number(p) };
    if (status === 'done') item.completed_on = $(`f-${i}-completed_on`).value || null;
    for (const [name] of TEXTS) item[name] = text(`f-${i}-${name}`);
    return item;
  });
  return { items, general: { difficulties: text('g-difficulties'), proposals: text('g-proposals') } };
}

// Hides every error shown.
function clearErrors() {
  for (const node of document.querySelectorAll('.field-error')) {
    node.hidden = true;
    node.textContent = '';
  }
  for (const node of document.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  $('summary').hidden = true;
}

// The error line and control a field name ("items[2].progress", "general.proposals") is about.
function target(fieldName) {
  let m = /^items\[(\d+)\](?:\.(\w+))?$/.exec(fieldName || '');
  if (m) {
    const i = Number(m[1]);
    const name = m[2] && $(`e-${i}-${m[2]}`) ? m[2] : 'task';
    return { line: $(`e-${i}-${name}`), control: $(`f-${i}-${name}`) || $(`task-${i}`), label: tasks[i] ? tasks[i].task : '' };
  }
  m = /^general\.(difficulties|proposals)$/.exec(fieldName || '');
  if (m) return { line: $(`e-g-${m[1]}`), control: $(`g-${m[1]}`), label: 'Kiến nghị chung' };
  return null;
}

// Shows the daemon's errors next to their fields, and a summary at the top.
function showErrors(doc) {
  clearErrors();
  const list = el('ul');
  let first = null;
  for (const e of doc.errors || []) {
    const t = target(e.field);
    if (t && t.line) {
      t.line.textContent = e.message;
      t.line.hidden = false;
      if (t.control && t.control.matches('input, select, textarea')) t.control.setAttribute('aria-invalid', 'true');
      const link = el('a', { href: '#' + (t.control ? t.control.id : t.line.id), text: `${t.label}: ${e.message}` });
      list.append(el('li', {}, link));
      first = first || t.control;
    } else {
      list.append(el('li', { text: e.message }));
    }
  }
  const summary = $('summary');
  summary.replaceChildren(
    el('p', { text: ((doc.error && doc.error.message) || 'Báo cáo có lỗi.') + ' Hãy sửa các mục được đánh dấu rồi bấm “Gửi báo cáo” lại; chưa có gì được lưu.' }),
    list);
  summary.hidden = false;
  summary.focus();
  return first;
}

// Sends the form.
async function submit(event) {
  event.preventDefault();
  const status = $('form-status');
  const button = $('submit');
  button.disabled = true;
  say(status, 'Đang gửi…', 'info');
  try {
    const receipt = await api('PUT', base + '/submission', collect());
    clearErrors();
    say(status, '');
    $('report-form').hidden = true;
    showReceipt($('result'), receipt);
    $('result').append(el('p', { class: 'no-print' },
      el('a', { href: `/?series=${enc(params.get('series') || '')}&period=${enc(params.get('period') || '')}`, text: 'Về trang báo cáo của đơn vị' })));
    $('result').focus();
  } catch (err) {
    if (err instanceof ApiError && err.status === 422 && err.body) {
      say(status, 'Báo cáo có lỗi, chưa được nhận. Hãy sửa các mục được đánh dấu.', 'error');
      showErrors(err.body);
    } else {
      say(status, err.message || 'Không gửi được báo cáo. Hãy thử lại.', 'error');
    }
  } finally {
    button.disabled = false;
  }
}

async function main() {
  const me = await loadMe();
  header(me);
  const series = pickSeries(me, params.get('series'));
  if (!series) throw new Error('Đơn vị của bạn không phải gửi loại báo cáo nào. Nếu đây là nhầm lẫn, hãy liên hệ quản trị viên.');
  const periodId = params.get('period') || (series.current && series.current.period);
  if (!periodId) throw new Error('Loại báo cáo này hiện không có kỳ nào đang mở.');
  if (!params.get('series')) history.replaceState(null, '', `/form.html?series=${enc(series.name)}&period=${enc(periodId)}`);
  params.set('series', series.name);
  params.set('period', periodId);
  base = `/api/v1/series/${enc(series.name)}/periods/${enc(periodId)}`;
  $('nav-report').href = `/?series=${enc(series.name)}&period=${enc(periodId)}`;
  const [period, list, sub] = await Promise.all([
    series.current && series.current.period === periodId ? series.current : api('GET', base),
    api('GET', base + '/tasks'),
    api('GET', base + '/submission?optional=1').then((d) => (d.submission === null ? null : d)),
  ]);
  tasks = list.tasks;
  $('series-title').textContent = series.title + ' · ' + list.unit_name;
  $('period-title').textContent = 'Nhập báo cáo: ' + period.title;
  $('deadline').textContent = period.skipped ? 'Kỳ này không yêu cầu báo cáo.' : 'Hạn gửi: ' + period.unit_deadline_text;
  $('intro').hidden = false;
  if (tasks.length === 0) throw new Error('Đơn vị chưa có nhiệm vụ nào trong loại báo cáo này. Hãy liên hệ điều phối viên để được giao nhiệm vụ.');
  $('tasks').replaceChildren(...tasks.map(taskBlock));
  const carried = (t) => t.carried;
  const carry = $('carry');
  if (list.carried_from) {
    carry.hidden = false;
    carry.addEventListener('click', () => {
      fill(carried);
      say($('source'), `Đã lấy tình trạng, tiến độ từ báo cáo kỳ ${list.carried_from}. Hãy cập nhật cho kỳ này rồi gửi.`, 'info');
    });
  }
  if (sub) {
    const byCode = new Map(sub.items.map((it) => [it.task, it]));
    fill((t) => byCode.get(t.task));
    $('g-difficulties').value = sub.general.difficulties || '';
    $('g-proposals').value = sub.general.proposals || '';
    say($('source'), `Đang hiển thị báo cáo đơn vị đã gửi (phiên bản ${sub.receipt.version}). Sửa những gì thay đổi rồi gửi lại: hệ thống lưu thành phiên bản mới.`, 'info');
  } else if (list.carried_from) {
    fill(carried);
    say($('source'), `Tình trạng, tiến độ được lấy từ báo cáo kỳ ${list.carried_from}. Hãy cập nhật cho kỳ này và ghi kết quả rồi gửi.`, 'info');
  } else {
    fill(() => null);
    say($('source'), 'Hãy chọn tình trạng của từng nhiệm vụ, ghi tiến độ và kết quả rồi bấm “Gửi báo cáo”.', 'info');
  }
  $('report-form').hidden = false;
  $('report-form').addEventListener('submit', submit);
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return;
  pageError(err);
});
