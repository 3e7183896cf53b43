// What the coordinator's pages share (and the recipient unit's read-only board and unit page):
// the series and period chosen, the navigation keeping them, the names of unit groups and of a
// unit's state on the board, the period's head.
import { api, loadMe } from './api.js';
import { $, el, header, periodLabel, timeWords, countdown } from './ui.js';

export const enc = encodeURIComponent;

export const STATES = {
  on_time: 'Đúng hạn',
  late: 'Gửi muộn',
  missing: 'Chưa gửi',
  returned: 'Trả lại, chờ bổ sung',
  no_document: 'Thiếu văn bản',
};

export const PERIOD_STATES = {
  open: 'Đang nhận báo cáo', cut_off: 'Đã khoá sổ', consolidated: 'Đã tổng hợp',
  approved: 'Đã phê duyệt', delivered: 'Đã gửi bản tổng hợp', skipped: 'Không yêu cầu báo cáo',
};

// The Vietnamese name of a unit's group, as the server titles it.
export function groupName(u) {
  return u.group_title || u.group;
}

// Text without diacritics, in lower case, for searching ("Hồng Lĩnh" → "hong linh").
export function fold(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
}

// A page's address for a series and period (and more parameters).
export function pageUrl(path, series, period, more = {}) {
  const q = new URLSearchParams({ series, period, ...more });
  return path + '?' + q.toString();
}

// Fills the choice of series (of the list) and of periods; a change opens the same page for
// the choice.
function fillChoices(list, series, periodId) {
  const field = $('series-field');
  const select = $('series');
  if (field && list.length > 1) {
    field.hidden = false;
    for (const s of list) select.append(el('option', { value: s.name, text: s.title, selected: s === series }));
    select.addEventListener('change', () => location.assign(location.pathname + '?series=' + enc(select.value)));
  }
  const periods = $('period-select');
  if (!periods) return;
  const seen = new Set();
  if (series.current) {
    periods.append(el('option', { value: series.current.period, text: 'Kỳ hiện tại: ' + series.current.title }));
    seen.add(series.current.period);
  }
  for (const p of series.recent || []) {
    if (seen.has(p.period)) continue;
    seen.add(p.period);
    periods.append(el('option', { value: p.period, text: periodLabel(p) }));
  }
  if (!seen.has(periodId)) periods.append(el('option', { value: periodId, text: periodId }));
  periods.value = periodId;
  periods.addEventListener('change', () => location.assign(pageUrl(location.pathname, series.name, periods.value)));
}

// The recipient's account on a page that allows it (options.recipient): the series its unit
// receives instead of those it consolidates, read only.
function rolesList(me, options) {
  if (options.recipient && me.role === 'recipient') {
    if (!me.receives || me.receives.length === 0) {
      throw new Error('Đơn vị của bạn chưa được chỉ định nhận loại báo cáo tổng hợp nào. Nếu đây là nhầm lẫn, hãy liên hệ quản trị viên.');
    }
    return me.receives;
  }
  if (options.recipient === 'only') {
    throw new Error('Trang này dành cho đơn vị nhận báo cáo tổng hợp. Hãy về trang chủ để làm việc của bạn.');
  }
  if (me.role !== 'coordinator' || !me.consolidates || me.consolidates.length === 0) {
    throw new Error(me.role === 'coordinator'
      ? 'Đơn vị của bạn không tổng hợp loại báo cáo nào. Nếu đây là nhầm lẫn, hãy liên hệ quản trị viên.'
      : 'Trang này dành cho điều phối viên của đơn vị tổng hợp. Hãy về trang chủ để làm việc của bạn.');
  }
  return me.consolidates;
}

// Opens a coordinator's page: who is signed in, the series (?series= or the first with an
// open period) and the period (?period= or the current one), the navigation wired. With
// options.recipient (true: also, 'only': only), the recipient unit's account opens it read
// only: the links marked data-role="coordinator" are hidden, those marked "recipient" shown,
// and a link's data-page-recipient replaces its data-page. Throws, saying what to do, when
// the account has nothing to do here.
export async function openCoordinator(options = {}) {
  const me = await loadMe();
  header(me);
  const own = $('nav-own');
  if (own && me.series.length > 0) own.hidden = false;
  const list = rolesList(me, options);
  const readOnly = me.role === 'recipient';
  for (const a of document.querySelectorAll('[data-role]')) a.hidden = a.dataset.role !== me.role;
  const params = new URLSearchParams(location.search);
  const series = list.find((s) => s.name === params.get('series')) ||
    list.find((s) => s.current) || list[0];
  const periodId = params.get('period') || (series.current && series.current.period) ||
    (series.recent && series.recent[0] && series.recent[0].period);
  for (const a of document.querySelectorAll('a[data-page]')) {
    const page = (readOnly && a.dataset.pageRecipient) || a.dataset.page;
    a.href = periodId ? pageUrl(page, series.name, periodId) : page + '?series=' + enc(series.name);
  }
  if (!periodId) throw new Error('Loại báo cáo này chưa có kỳ nào. Hãy chờ đến kỳ đầu tiên.');
  fillChoices(list, series, periodId);
  const base = `/api/v1/series/${enc(series.name)}/periods/${enc(periodId)}`;
  let period = null;
  if (options.period !== false) {
    period = series.current && series.current.period === periodId ? series.current : await api('GET', base);
  }
  return { me, series, periodId, base, period, readOnly };
}

// The head of a board's period: the series, title, deadline in words and as a countdown.
export function showPeriodHead(ctx) {
  const p = ctx.period;
  $('series-title').textContent = ctx.series.title;
  $('period-title').textContent = p.title;
  if (p.skipped) {
    $('deadline').textContent = 'Kỳ này không yêu cầu báo cáo.' + (p.reason ? ' ' + p.reason : '');
  } else {
    $('deadline').textContent = 'Hạn gửi của các đơn vị: ' + (p.unit_deadline_text || timeWords(p.unit_deadline)) +
      '. Hạn tổng hợp: ' + timeWords(p.consolidation_deadline) + '.';
    countdown($('countdown'), p.unit_deadline);
  }
  $('period').hidden = false;
}

// The counts at the top of a board (GET .../status "totals"); with require_document, the
// units without their document ("thiếu văn bản") too.
export function showCounts(totals, requireDocument) {
  for (const k of ['expected', 'on_time', 'late', 'missing', 'returned']) $('n-' + k).textContent = String(totals[k]);
  $('n-no_document').textContent = String(totals.no_document || 0);
  $('n-no_document-item').hidden = !requireDocument;
  const filter = $('filter-no_document');
  if (filter) filter.hidden = !requireDocument;
}
