// The reporter's page: the period, its deadline, the unit's report state, the workbook to
// download, the upload with its receipt or errors, and the versions sent.
import { api, loadMe, uploadFile, ApiError } from './api.js';
import { showDocument, wireDocument } from './document.js';
import { loadTimeline, showTimeline } from './timeline.js';
import {
  $, el, say, header, timeWords, countdown, reportState, periodLabel, channelName, timeShort,
  showReceipt, showErrors, pageError, pickSeries,
} from './ui.js';

const MAX_UPLOAD = 10 * 1024 * 1024; // the daemon's default max_upload_size
const params = new URLSearchParams(location.search);
let series = null;
let periodId = null;
let base = '';
let timer = null;
let chosen = null;
let ownUnit = '';

const enc = encodeURIComponent;

// The address of this page for a series and period.
function pageUrl(path, s, p) {
  return `${path}?series=${enc(s)}&period=${enc(p)}`;
}

// Fills the choice of series and periods.
function fillChoices(me) {
  const field = $('series-field');
  const select = $('series');
  if (me.series.length > 1) {
    field.hidden = false;
    for (const s of me.series) select.append(el('option', { value: s.name, text: s.title, selected: s === series }));
    select.addEventListener('change', () => location.assign('/?series=' + enc(select.value)));
  }
  const periods = $('period-select');
  const seen = new Set();
  if (series.current) {
    periods.append(el('option', { value: series.current.period, text: 'Kỳ hiện tại: ' + series.current.title }));
    seen.add(series.current.period);
  }
  for (const p of series.recent) {
    if (seen.has(p.period)) continue;
    seen.add(p.period);
    const mark = p.version ? (p.on_time ? ' · đã gửi' : ' · gửi muộn') : ' · chưa gửi';
    periods.append(el('option', { value: p.period, text: periodLabel(p) + mark }));
  }
  if (!seen.has(periodId)) periods.append(el('option', { value: periodId, text: periodId }));
  periods.value = periodId;
  periods.addEventListener('change', () => location.assign(pageUrl('/', series.name, periods.value)));
}

// Shows the period: title, deadline in words and as a countdown.
function showPeriod(period) {
  $('series-title').textContent = series.title;
  $('period-title').textContent = period.title;
  if (timer) clearInterval(timer);
  const reason = $('period-reason');
  if (period.skipped) {
    $('deadline').textContent = 'Kỳ này không yêu cầu báo cáo.';
    $('countdown').textContent = '';
  } else {
    $('deadline').textContent = 'Hạn gửi: ' + (period.unit_deadline_text || timeWords(period.unit_deadline));
    timer = countdown($('countdown'), period.unit_deadline);
  }
  if (period.reason) {
    reason.textContent = period.reason;
    reason.hidden = false;
  }
  if (period.state && period.state !== 'open' && !period.skipped) {
    reason.textContent = (period.reason ? period.reason + ' ' : '') +
      'Kỳ này đã chốt số liệu: báo cáo gửi bây giờ vẫn được nhận nhưng ghi là gửi muộn.';
    reason.hidden = false;
  }
}

// Shows the unit's report state (and the coordinator's comment on a returned report).
function showState(sub) {
  const st = reportState(sub);
  const badge = $('state');
  badge.textContent = st.label;
  badge.className = 'badge ' + st.key;
  const review = $('review');
  if (st.key === 'returned') {
    review.replaceChildren(el('strong', { text: 'Điều phối viên đề nghị bổ sung: ' }),
      st.comment || '(không có ghi chú)', el('br'),
      'Hãy sửa báo cáo theo ý kiến trên rồi gửi lại.');
    review.hidden = false;
  } else {
    review.hidden = true;
  }
}

// Says where the unit stands with the period (GET .../submission's window: open, not begun,
// late, extended until when and why); with an extension, its own deadline and countdown.
function showWindow(answer) {
  const w = answer && answer.window;
  const box = $('window');
  // Within the deadline the deadline line says it all; otherwise the sentence says why.
  box.hidden = !w || w.state === 'open';
  if (!w) return;
  box.textContent = w.text;
  box.className = 'message ' + (w.state === 'late' ? 'warn' : 'info');
  const ext = answer.extension;
  if (ext) {
    $('deadline').textContent = 'Hạn gửi của đơn vị (đã gia hạn): ' + (ext.until_text || timeWords(ext.until));
    if (timer) clearInterval(timer);
    timer = countdown($('countdown'), ext.until);
    // The window says what the cut-off means for this unit.
    $('period-reason').hidden = true;
  }
}

// Fills the table of versions sent in the period.
function showVersions(list) {
  const body = $('versions-body');
  body.replaceChildren();
  for (const v of [...list.submissions].reverse()) {
    // A workbook whose raw file the retention removed has no link (its data stays).
    const file = v.channel !== 'xlsx' ? '—'
      : v.file === false ? 'Tệp đã xoá (hết hạn lưu trữ)'
        : el('a', { href: `${base}/submission/file?version=${v.version}`, download: true, text: 'Tải về' });
    body.append(el('tr', { class: v.superseded ? 'old' : 'current' },
      el('td', { text: v.version + (v.superseded ? '' : ' (đang dùng)') }),
      el('td', { text: timeShort(v.received_at) }),
      el('td', { text: v.on_time ? 'Đúng hạn' : 'Muộn' }),
      el('td', { text: channelName(v.channel) + (v.on_behalf ? ' (điều phối viên gửi thay)' : '') }),
      el('td', { text: v.by || '—' }),
      el('td', {}, file)));
  }
  $('versions-none').hidden = list.submissions.length > 0;
  $('versions').hidden = false;
}

// Reads the unit's report, its versions and its timeline again, and shows them.
async function refresh() {
  const [answer, list, events] = await Promise.all([
    api('GET', base + '/submission?optional=1').then((d) => (d.submission === null ? { none: d } : d)),
    api('GET', base + '/submissions'),
    loadTimeline(base, ''),
  ]);
  const sub = answer && answer.none ? null : answer;
  showWindow(answer && answer.none ? answer.none : answer);
  showState(sub);
  showDocument(sub, base, series.require_document);
  showVersions(list);
  showTimeline(events);
}

// Takes the file the person chose or dropped.
function choose(file) {
  const status = $('upload-status');
  chosen = null;
  $('send').disabled = true;
  if (!file) return;
  if (!/\.xlsx$/i.test(file.name)) {
    say(status, `Tệp “${file.name}” không phải tệp Excel .xlsx. Hãy chọn đúng biểu mẫu đã tải về (nếu tệp là .xls, hãy mở bằng Excel và lưu lại dạng .xlsx).`, 'error');
    return;
  }
  if (file.size > MAX_UPLOAD) {
    say(status, 'Tệp lớn hơn 10 MiB. Hãy xoá hình ảnh hoặc trang tính thừa trong tệp rồi chọn lại.', 'error');
    return;
  }
  chosen = file;
  $('file-name').textContent = `Đã chọn: ${file.name} (${Math.ceil(file.size / 1024)} KiB)`;
  say(status, 'Hãy bấm “Gửi báo cáo”.', 'info');
  $('send').disabled = false;
}

// Sends the chosen file and shows the receipt or the errors.
async function send() {
  if (!chosen) return;
  const status = $('upload-status');
  const bar = $('progress');
  const button = $('send');
  button.disabled = true;
  bar.value = 0;
  bar.hidden = false;
  say(status, 'Đang gửi tệp…', 'info');
  try {
    const progress = (p) => {
      bar.value = p;
    };
    // The workbook goes where its hidden sheet says (any period, any series); one without it
    // (a program dropped it) to the period shown, as before.
    let { status: code, body } = await uploadFile('/api/v1/submissions', chosen, progress);
    if (code === 422 && body && body.error && body.error.code === 'no_identity') {
      ({ status: code, body } = await uploadFile(base + '/submission', chosen, progress));
    }
    bar.value = 1;
    if (code === 422 && body && !body.errors) {
      say(status, body.error ? body.error.message : 'Không đọc được tệp. Hãy tải biểu mẫu mới rồi nhập lại.', 'error');
      $('result').hidden = true;
    } else if (code === 422) {
      say(status, 'Báo cáo có lỗi, chưa được nhận. Xem danh sách lỗi bên dưới.', 'error');
      showErrors($('result'), body);
    } else {
      const same = code === 200 ? 'Tệp này giống hệt lần gửi trước: hệ thống giữ nguyên biên nhận cũ.' : 'Đã gửi xong.';
      if (body.series !== series.name || body.period !== periodId || body.unit !== ownUnit) {
        showElsewhere(body, same);
      } else {
        say(status, same, 'ok');
      }
      showReceipt($('result'), body);
      await refresh();
    }
    $('result').scrollIntoView({ behavior: 'smooth', block: 'start' });
    $('result').focus();
  } catch (err) {
    say(status, err instanceof ApiError ? err.message : 'Không gửi được tệp. Hãy thử lại.', 'error');
  } finally {
    bar.hidden = true;
    button.disabled = !chosen;
  }
}

// Says where a workbook of another period (or series, or unit) went, with a link to its page.
function showElsewhere(receipt, same) {
  const status = $('upload-status');
  const text = receipt.unit !== ownUnit
    ? `${receipt.message} Đây là biểu mẫu của đơn vị khác: báo cáo được ghi là gửi thay đơn vị đó.`
    : `Biểu mẫu của ${receipt.period_title || receipt.period}${receipt.series !== series.name ? ` (${receipt.series_title})` : ''} — đã gửi vào kỳ đó, không phải kỳ đang xem.`;
  status.replaceChildren(text + ' ' + same + ' ',
    el('a', { href: pageUrl('/', receipt.series, receipt.period), text: 'Mở trang của kỳ đó' }));
  status.className = 'message warn';
  status.hidden = false;
}

// Wires the file picker and the drop zone.
function wireUpload() {
  const drop = $('drop');
  $('file').addEventListener('change', (e) => choose(e.target.files[0]));
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  }
  for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    choose(e.dataTransfer.files[0]);
  });
  $('send').addEventListener('click', send);
}

// Sends each role to its page: recipients to the reports received, administrators to theirs,
// coordinators to the board (their own unit's report stays here, with ?own=1 or ?series=).
function landing(me) {
  if (me.role === 'recipient') return '/received.html';
  if (me.role === 'admin') return '/admin.html';
  const coordinates = me.role === 'coordinator' && me.consolidates && me.consolidates.length > 0;
  if (coordinates) {
    $('nav-board').hidden = false;
    $('nav-report').href = '/?own=1';
    if (!params.has('own') && !params.has('series')) return '/board.html';
  }
  return null;
}

async function main() {
  const me = await loadMe();
  const elsewhere = landing(me);
  if (elsewhere) {
    location.replace(elsewhere);
    return;
  }
  header(me);
  ownUnit = me.unit.code;
  if (me.series.length === 0) {
    pageError(new Error('Đơn vị của bạn không phải gửi loại báo cáo nào. Nếu đây là nhầm lẫn, hãy liên hệ quản trị viên.'));
    return;
  }
  series = pickSeries(me, params.get('series'));
  periodId = params.get('period') || (series.current ? series.current.period : null);
  if (!periodId) {
    pageError(new Error('Loại báo cáo này hiện không có kỳ nào đang mở. Hãy chọn kỳ khác hoặc chờ điều phối viên mở kỳ báo cáo.'));
    return;
  }
  base = `/api/v1/series/${enc(series.name)}/periods/${enc(periodId)}`;
  fillChoices(me);
  const period = series.current && series.current.period === periodId ? series.current
    : await api('GET', base);
  $('download').href = base + '/template';
  $('form-link').href = pageUrl('/form.html', series.name, periodId);
  $('nav-form').href = pageUrl('/form.html', series.name, periodId);
  if (!period.skipped) {
    wireUpload();
    wireDocument(base, refresh);
  }
  // The period and the steps appear with the report's state, so that nothing moves as it
  // comes; the period first, so that an extension's deadline (refresh) replaces its own.
  showPeriod(period);
  await refresh();
  $('period').hidden = false;
  $('steps').hidden = period.skipped;
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return; // on the way to the login page
  pageError(err);
});
