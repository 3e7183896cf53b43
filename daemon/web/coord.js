// What the coordinator's pages share: the series and period chosen, the navigation keeping
// them, the names of unit groups and of a unit's state on the board.
import { api, loadMe } from './api.js';
import { $, el, header, periodLabel } from './ui.js';

export const enc = encodeURIComponent;

export const STATES = {
  on_time: 'Đúng hạn',
  late: 'Gửi muộn',
  missing: 'Chưa gửi',
  returned: 'Trả lại, chờ bổ sung',
  no_document: 'Thiếu văn bản',
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

// Fills the choice of series and of periods; a change opens the same page for the choice.
function fillChoices(me, series, periodId) {
  const field = $('series-field');
  const select = $('series');
  if (field && me.consolidates.length > 1) {
    field.hidden = false;
    for (const s of me.consolidates) select.append(el('option', { value: s.name, text: s.title, selected: s === series }));
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

// Opens a coordinator's page: who is signed in, the series (?series= or the first with an
// open period) and the period (?period= or the current one), the navigation wired. Returns
// null after saying what to do when the account coordinates nothing.
export async function openCoordinator(options = {}) {
  const me = await loadMe();
  header(me);
  const own = $('nav-own');
  if (own && me.series.length > 0) own.hidden = false;
  if (me.role !== 'coordinator' || !me.consolidates || me.consolidates.length === 0) {
    throw new Error(me.role === 'coordinator'
      ? 'Đơn vị của bạn không tổng hợp loại báo cáo nào. Nếu đây là nhầm lẫn, hãy liên hệ quản trị viên.'
      : 'Trang này dành cho điều phối viên của đơn vị tổng hợp. Hãy về trang chủ để làm việc của bạn.');
  }
  const params = new URLSearchParams(location.search);
  const series = me.consolidates.find((s) => s.name === params.get('series')) ||
    me.consolidates.find((s) => s.current) || me.consolidates[0];
  const periodId = params.get('period') || (series.current && series.current.period) ||
    (series.recent && series.recent[0] && series.recent[0].period);
  for (const a of document.querySelectorAll('a[data-page]')) {
    a.href = periodId ? pageUrl(a.dataset.page, series.name, periodId) : a.dataset.page + '?series=' + enc(series.name);
  }
  if (!periodId) throw new Error('Loại báo cáo này chưa có kỳ nào. Hãy chờ đến kỳ đầu tiên.');
  fillChoices(me, series, periodId);
  const base = `/api/v1/series/${enc(series.name)}/periods/${enc(periodId)}`;
  let period = null;
  if (options.period !== false) {
    period = series.current && series.current.period === periodId ? series.current : await api('GET', base);
  }
  return { me, series, periodId, base, period };
}
