// A unit's report as the coordinator sees it: the report in force (its tasks), its versions
// with their files, and the decision: return it for correction with a comment, or accept it.
// The coordinator grants the unit a later deadline (an extension) with a reason, or takes it back.
// The recipient unit (Văn phòng Tỉnh ủy) sees it read only: the report in force, its workbook
// and its document, without the versions and without any decision.
import { api, ApiError } from './api.js';
import { $, el, say, timeWords, timeShort, channelName, pageError } from './ui.js';
import { openCoordinator, enc, groupName } from './coord.js';
import { documentClass, documentLine } from './document.js';
import { loadTimeline, showTimeline } from './timeline.js';

const COMMENT_MAX = 2000;
const STATUS_NAMES = { not_started: 'Chưa triển khai', in_progress: 'Đang thực hiện', done: 'Hoàn thành' };
const unitCode = new URLSearchParams(location.search).get('unit') || '';
let ctx = null;
let q = '';
let shown = 0; // the version of the report on the screen: the one a decision judges
let group = []; // the units of the unit's group on the period's roster, from GET .../status

// The unit's state, from its report in force.
function showHead(sub, name) {
  $('period-line').textContent = `${ctx.series.title} · ${ctx.period.title}`;
  $('unit-title').textContent = name ? `${name} (${unitCode})` : unitCode;
  const badge = $('state');
  const review = $('review');
  review.hidden = true;
  if (!sub) {
    badge.textContent = 'Chưa gửi';
    badge.className = 'badge missing';
    $('received').textContent = '';
  } else {
    const decision = sub.review && sub.review.decision;
    const key = decision === 'returned' ? 'returned' : sub.receipt.on_time ? 'on_time' : 'late';
    badge.textContent = { returned: 'Đã trả lại, chờ bổ sung', on_time: 'Gửi đúng hạn', late: 'Gửi muộn' }[key] +
      (key === 'on_time' && sub.receipt.extended_until ? ` (gia hạn đến ${timeShort(sub.receipt.extended_until)})` : '') +
      (decision === 'accepted' ? ' · đã chấp nhận' : '');
    badge.className = 'badge ' + key;
    $('received').textContent = `Phiên bản ${sub.receipt.version}, nhận lúc ${timeWords(sub.receipt.received_at)}`;
    if (decision === 'returned') {
      review.replaceChildren(el('strong', { text: 'Đã trả lại với nhận xét: ' }), sub.review.comment || '',
        sub.review.at ? ` (${timeShort(sub.review.at)})` : '');
      review.hidden = false;
    }
  }
  $('head').hidden = false;
}

// Where the unit stands with the period, in words (GET .../submission's window), and its
// extension in the coordinator's form.
function showWindow(answer) {
  const w = answer && answer.window;
  const box = $('window');
  box.hidden = !w;
  if (w) {
    box.textContent = w.text;
    box.className = 'message ' + (w.state === 'late' ? 'warn' : 'info');
  }
  if (ctx.readOnly) return;
  const ext = answer ? answer.extension : null;
  $('extension').hidden = !!(w && w.state === 'skipped');
  $('ext-now').textContent = ext
    ? `Đang gia hạn đến ${timeWords(ext.until)} (${ext.granted_by}, ${timeShort(ext.granted_at)}). Lý do: ${ext.reason}`
    : 'Đơn vị chưa được gia hạn kỳ này; hạn gửi là hạn chung của kỳ.';
  $('ext-revoke').hidden = !ext;
}

// The value of a datetime-local field as RFC 3339 in Hà Tĩnh's zone (UTC+7, no daylight time).
function untilValue() {
  const v = $('ext-until').value;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(v)) return null;
  return v + ':00+07:00';
}

// Offers the extension to the unit's whole group (its units on the period's roster).
function showGroup(row) {
  const box = $('ext-group-line');
  box.hidden = ctx.readOnly || !row || group.length < 2;
  if (box.hidden) return;
  $('ext-group-label').textContent = `Áp dụng cho cả nhóm “${groupName(row)}” (${group.length} đơn vị)`;
}

// Grants (or takes back) the extension of every unit of the group, one request each (each
// audited and mailed on its own); says how many went through and which did not.
async function extendGroup(grant, until, reason) {
  const box = $('ext-status');
  const targets = grant ? group : group.filter((u) => u.extension);
  const failed = [];
  let done = 0;
  for (const u of targets) {
    say(box, `Đang ${grant ? 'gia hạn' : 'thu hồi gia hạn'}: ${done + failed.length + 1}/${targets.length} đơn vị…`, 'info');
    const uq = 'unit=' + enc(u.unit);
    try {
      if (grant) await api('PUT', `${ctx.base}/extension?${uq}`, { until, reason });
      else await api('DELETE', `${ctx.base}/extension?${uq}`);
      done++;
    } catch (err) {
      failed.push(`${u.name} (${u.unit}): ${err.message}`);
    }
  }
  say(box, `${grant ? 'Đã gia hạn' : 'Đã thu hồi gia hạn'} cho ${done} trên ${targets.length} đơn vị của nhóm; mỗi đơn vị được báo qua thư điện tử.` +
    (failed.length ? ` Chưa làm được: ${failed.join('; ')}` : ''), failed.length ? 'error' : 'ok');
  await load();
}

// Grants (or replaces) the unit's extension, or takes it back; for the whole group when asked.
async function extend(grant) {
  const box = $('ext-status');
  const until = untilValue();
  const reason = $('ext-reason').value.trim();
  if (grant && (!until || !reason)) {
    say(box, 'Hãy chọn hạn mới và ghi lý do gia hạn, rồi bấm “Gia hạn”.', 'error');
    $(until ? 'ext-reason' : 'ext-until').focus();
    return;
  }
  if (!$('ext-group-line').hidden && $('ext-group').checked) {
    await extendGroup(grant, until, reason);
    return;
  }
  try {
    const doc = grant
      ? await api('PUT', `${ctx.base}/extension?${q}`, { until, reason })
      : await api('DELETE', `${ctx.base}/extension?${q}`);
    say(box, doc.message + (doc.messages ? ` (${doc.messages} thư báo)` : ''), 'ok');
    await load();
  } catch (err) {
    say(box, err.message, 'error');
  }
}

// The tasks of the report in force.
function showReport(sub) {
  $('report').hidden = !sub;
  $('no-report').hidden = !!sub;
  $('decide').hidden = !sub || ctx.readOnly;
  // The workbook as the unit sent it (the coordinator has it in the versions).
  $('file-line').hidden = !ctx.readOnly || !sub || sub.channel !== 'xlsx';
  $('file-link').href = `${ctx.base}/submission/file?${q}`;
  if (!sub) return;
  $('items-body').replaceChildren(...sub.items.map((it) => el('tr', {},
    el('td', { class: 'code', text: it.task }),
    el('td', { text: it.title || '' }),
    el('td', { text: STATUS_NAMES[it.status] || it.status || '—' }),
    el('td', { class: 'qty', text: it.progress === null ? '—' : it.progress + '%' }),
    el('td', { text: it.result || '' }),
    el('td', { text: [it.difficulties, it.proposals].filter(Boolean).join(' · ') }))));
  const dl = $('general');
  dl.replaceChildren();
  if (sub.general && (sub.general.difficulties || sub.general.proposals)) {
    dl.append(el('dt', { text: 'Khó khăn chung' }), el('dd', { text: sub.general.difficulties || '—' }),
      el('dt', { text: 'Kiến nghị chung' }), el('dd', { text: sub.general.proposals || '—' }));
  }
}

// The versions sent in the period, each with its file.
function showVersions(list) {
  $('versions-body').replaceChildren(...[...list.submissions].reverse().map((v) => el('tr', { class: v.superseded ? 'old' : 'current' },
    el('td', { text: v.version + (v.superseded ? '' : ' (đang dùng)') }),
    el('td', { text: timeShort(v.received_at) }),
    el('td', { text: v.on_time ? 'Đúng hạn' : 'Muộn' }),
    el('td', { text: channelName(v.channel) + (v.on_behalf ? ' (điều phối viên gửi thay)' : '') }),
    el('td', { text: v.by || '—' }),
    el('td', {}, v.channel !== 'xlsx' ? '—'
      : v.file === false ? 'Tệp đã xoá (hết hạn lưu trữ)'
        : el('a', { href: `${ctx.base}/submission/file?${q}&version=${v.version}`, download: true, text: 'Tải tệp' })),
    el('td', {}, !v.document ? '—'
      : el('a', { href: `${ctx.base}/submission/document?${q}&version=${v.version}`, download: true, text: 'Tải PDF' })))));
  $('versions').hidden = list.submissions.length === 0;
}

// The unit's document with the report in force: its state, size and a download link; with
// require_document, a report without it is "thiếu văn bản".
function showDocument(sub, required) {
  const doc = sub ? sub.document : null;
  const badge = $('doc-state');
  badge.textContent = doc ? documentLine(doc) : required && sub ? 'Thiếu văn bản' : 'Chưa có văn bản';
  badge.className = 'badge ' + (doc ? documentClass(doc) : required && sub ? 'no_document' : 'missing');
  const link = $('doc-link');
  link.hidden = !doc || doc.file === false;
  link.href = `${ctx.base}/submission/document?${q}`;
}

// Reads the unit's report, its versions, its name and its timeline, and shows them.
async function load() {
  const [answer, list, status, events] = await Promise.all([
    api('GET', `${ctx.base}/submission?optional=1&${q}`).then((d) => (d.submission === null ? { none: d } : d)),
    ctx.readOnly ? { submissions: [] } : api('GET', `${ctx.base}/submissions?${q}`),
    api('GET', `${ctx.base}/status`).catch(() => null),
    loadTimeline(ctx.base, q),
  ]);
  const sub = answer && answer.none ? null : answer;
  showWindow(answer && answer.none ? answer.none : answer);
  const row = status && status.units.find((u) => u.unit === unitCode);
  group = row ? status.units.filter((u) => u.group === row.group) : [];
  showGroup(row);
  shown = sub ? sub.receipt.version : 0;
  showHead(sub, row && row.name);
  showDocument(sub, status && status.require_document);
  showReport(sub);
  showVersions(list);
  showTimeline(events);
}

// What changed when the unit sent a new version while its report was on the screen.
function changedText(err, judged) {
  const e = (err.body && err.body.error) || {};
  if (!(e.current_version > judged) || !e.current_received_at) return err.message;
  return `Đơn vị vừa gửi phiên bản ${e.current_version} (lúc ${timeShort(e.current_received_at)}) ` +
    `trong khi bạn xem phiên bản ${judged}; đánh giá chưa được ghi. Trang đã tải lại báo cáo mới: ` +
    'hãy xem lại trước khi đánh giá.';
}

// Sends the decision about the version on the screen and shows the answer.
async function decide(decision) {
  const box = $('decide-status');
  const comment = $('comment').value.trim();
  if (decision === 'returned' && !comment) {
    say(box, 'Hãy ghi nhận xét cho đơn vị biết cần bổ sung gì, rồi bấm “Trả lại để bổ sung”.', 'error');
    $('comment').setAttribute('aria-invalid', 'true');
    $('comment').focus();
    return;
  }
  $('comment').removeAttribute('aria-invalid');
  const judged = shown;
  try {
    const body = decision === 'returned' ? { version: judged, decision, comment } : { version: judged, decision };
    const doc = await api('PUT', `${ctx.base}/review?${q}`, body);
    say(box, doc.message + (doc.messages ? ` (${doc.messages} thư báo)` : ''), 'ok');
    await load();
  } catch (err) {
    if (err.code !== 'version_changed') {
      say(box, err.message, 'error');
      return;
    }
    // Another version is in force: show it, and say so (the comment typed stays).
    try {
      await load();
      say(box, changedText(err, judged), 'warn');
    } catch (again) {
      say(box, `${changedText(err, judged)} (Chưa tải lại được: ${again.message})`, 'error');
    }
  }
}

// The comment's counter.
function wireDecide() {
  const box = $('comment');
  const count = () => {
    $('comment-count').textContent = `${box.value.length}/${COMMENT_MAX} ký tự`;
  };
  box.addEventListener('input', count);
  count();
  $('return').addEventListener('click', () => decide('returned'));
  $('accept').addEventListener('click', () => decide('accepted'));
}

async function main() {
  ctx = await openCoordinator({ recipient: true });
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(unitCode)) {
    throw new Error('Địa chỉ trang thiếu mã đơn vị. Hãy mở báo cáo của đơn vị từ bảng theo dõi.');
  }
  q = 'unit=' + enc(unitCode);
  document.title = `${unitCode} · Báo cáo của đơn vị · Hệ thống báo cáo định kỳ`;
  if (!ctx.readOnly) {
    wireDecide();
    $('ext-grant').addEventListener('click', () => extend(true));
    $('ext-revoke').addEventListener('click', () => extend(false));
  }
  await load();
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return;
  pageError(err);
});
