// The calendar of holidays and swapped working days, and the deadlines of the recent periods
// of a series, with the form that sets (or clears) a period's deadlines by hand.
import { api, serverNow } from './api.js';
import { $, el, say, timeWords, dateVi } from './ui.js';
import {
  report, busy, td, rowButton, confirmed, PERIOD_STATES, localInput, localTime,
} from './admin_common.js';

const WEEKDAYS = ['Chủ nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'];
const KINDS = { holiday: 'Nghỉ lễ', workday: 'Làm việc bù' };
let series = [];
let overriding = null; // { series, period } of the override form

// "Thứ Sáu, 27/11/2026" from "2026-11-27".
function dayWords(ymd) {
  const [y, m, d] = ymd.split('-').map(Number);
  return `${WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]}, ${dateVi(ymd)}`;
}

// The days of the chosen year.
async function loadDays() {
  const year = $('cal-year').value;
  const doc = await api('GET', '/api/v1/admin/calendar?year=' + encodeURIComponent(year));
  const body = $('cal-body');
  body.replaceChildren();
  for (const d of doc.days) {
    const button = rowButton('Xóa', `Xóa ngày ${dateVi(d.day)} khỏi lịch`, () => removeDay(d, button));
    body.append(el('tr', { id: 'day-' + d.day }, td(dayWords(d.day)), td(KINDS[d.kind] || d.kind),
      td(d.note), el('td', {}, button)));
  }
  if (doc.days.length === 0) {
    body.append(el('tr', {}, el('td', { colspan: '4', class: 'note', text: `Năm ${year} chưa có ngày nghỉ lễ hay làm bù nào.` })));
  }
}

// Removes a day, after asking.
async function removeDay(d, button) {
  if (!confirmed(`Xóa ngày ${dayWords(d.day)} (${KINDS[d.kind]}) khỏi lịch? Hạn nộp của các kỳ đang mở sẽ được tính lại.`)) return;
  await busy(button, $('cal-status'), async () => {
    const answer = await api('DELETE', '/api/v1/admin/calendar/' + d.day);
    await Promise.all([loadDays(), loadPeriods()]);
    report(answer.message, 'ok', $('cal-status'));
  });
}

// A deadline in words, or a dash.
function deadline(iso) {
  return iso ? timeWords(iso) : '—';
}

// Opens the override form on a period.
function startOverride(s, p) {
  overriding = { series: s.name, period: p.period };
  $('override-title').textContent = `Ấn định hạn cho kỳ ${p.period} (${dateVi(p.starts_on)} – ${dateVi(p.ends_on)})`;
  $('ov-unit').value = localInput(p.unit_deadline);
  $('ov-cons').value = localInput(p.consolidation_deadline);
  $('ov-note').value = '';
  $('ov-clear').hidden = !p.overridden;
  say($('override-status'), '');
  $('override-form').hidden = false;
  $('ov-unit').focus();
}

// The periods of the chosen series.
async function loadPeriods() {
  const doc = await api('GET', '/api/v1/admin/series');
  series = doc.series;
  const select = $('per-series');
  // The series chosen before, else the first one with periods (an ad hoc one may have none).
  const keep = select.value || (series.find((x) => x.periods.length) || series[0] || {}).name;
  select.replaceChildren();
  for (const s of series) select.append(el('option', { value: s.name, text: s.title, selected: s.name === keep }));
  const s = series.find((x) => x.name === select.value);
  const body = $('periods-body');
  body.replaceChildren();
  if (!s) return;
  for (const p of s.periods) {
    const state = el('td', {}, PERIOD_STATES[p.state] || p.state);
    if (p.overridden) state.append(el('br'), el('span', { class: 'tag', text: 'hạn ấn định' }));
    const open = p.state === 'open';
    const action = el('td');
    if (open) action.append(rowButton(p.overridden ? 'Sửa hạn' : 'Ấn định hạn', `${p.overridden ? 'Sửa hạn' : 'Ấn định hạn'} cho kỳ ${p.period}`, () => startOverride(s, p)));
    const row = el('tr', { id: 'period-' + p.period },
      el('td', {}, el('strong', { text: p.period }), el('br'), el('span', { class: 'note', text: `${dateVi(p.starts_on)} – ${dateVi(p.ends_on)}` })),
      td(deadline(p.unit_deadline)), td(deadline(p.consolidation_deadline)), state, action);
    if (p.reason) row.children[1].append(el('br'), el('span', { class: 'note', text: p.reason }));
    body.append(row);
  }
}

// Saves or clears the override of the open form.
async function saveOverride(clear, button) {
  const box = $('override-status');
  const path = `/api/v1/admin/series/${encodeURIComponent(overriding.series)}/periods/${encodeURIComponent(overriding.period)}/override`;
  let body;
  if (!clear) {
    const u = $('ov-unit').value;
    const c = $('ov-cons').value;
    if (!u || !c) {
      say(box, 'Hãy chọn đủ ngày giờ của hạn nộp và hạn tổng hợp.', 'error');
      (u ? $('ov-cons') : $('ov-unit')).focus();
      return;
    }
    if (c < u) {
      say(box, 'Hạn tổng hợp không được trước hạn nộp của đơn vị. Hãy chọn lại.', 'error');
      $('ov-cons').focus();
      return;
    }
    body = { unit_deadline: localTime(u), consolidation_deadline: localTime(c), note: $('ov-note').value.trim() };
  } else if (!confirmed(`Bỏ hạn ấn định của kỳ ${overriding.period}? Hạn nộp sẽ được tính lại theo quy định và lịch làm việc.`)) {
    return;
  }
  await busy(button, box, async () => {
    const answer = await api(clear ? 'DELETE' : 'PUT', path, body);
    $('override-form').hidden = true;
    overriding = null;
    await loadPeriods();
    report(`${answer.message} Hạn nộp mới: ${answer.period.unit_deadline_text || '—'}.`);
  });
}

export async function load() {
  const select = $('cal-year');
  if (select.options.length === 0) {
    const year = new Date(serverNow()).getFullYear();
    for (const y of [year - 1, year, year + 1]) select.append(el('option', { value: String(y), text: String(y), selected: y === year }));
  }
  await Promise.all([loadDays(), loadPeriods()]);
}

export function init() {
  $('cal-year').addEventListener('change', () => loadDays().catch((err) => report(err.message, 'error')));
  $('per-series').addEventListener('change', () => {
    $('override-form').hidden = true;
    loadPeriods().catch((err) => report(err.message, 'error'));
  });
  $('cal-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('cal-status');
    const day = $('cal-day').value;
    if (!day) {
      say(box, 'Hãy chọn ngày.', 'error');
      $('cal-day').focus();
      return;
    }
    await busy($('cal-add'), box, async () => {
      const answer = await api('PUT', '/api/v1/admin/calendar/' + day, { kind: $('cal-kind').value, note: $('cal-note').value.trim() });
      $('cal-year').value = day.slice(0, 4);
      if ($('cal-year').value !== day.slice(0, 4)) {
        $('cal-year').append(el('option', { value: day.slice(0, 4), text: day.slice(0, 4), selected: true }));
      }
      $('cal-form').reset();
      await Promise.all([loadDays(), loadPeriods()]);
      say(box, answer.message, 'ok');
    });
  });
  $('override-form').addEventListener('submit', (event) => {
    event.preventDefault();
    saveOverride(false, $('ov-save'));
  });
  $('ov-clear').addEventListener('click', () => saveOverride(true, $('ov-clear')));
  $('ov-cancel').addEventListener('click', () => {
    $('override-form').hidden = true;
    overriding = null;
  });
}
