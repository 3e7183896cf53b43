// The coordinator's board: every unit of the period grouped, with its state and time, the
// counts, a filter and a search, refreshing on its own; and the reminders with their preview.
// Built for thousands of units: the rows are made once; a refresh rewrites only the rows that
// changed, and the filter and the search only toggle `hidden`.
import { api, ApiError } from './api.js';
import { $, el, say, timeWords, timeShort, countdown, pageError } from './ui.js';
import { openCoordinator, groupName, fold, pageUrl, STATES } from './coord.js';

const PERIOD_STATES = {
  open: 'Đang nhận báo cáo', cut_off: 'Đã khoá sổ', consolidated: 'Đã tổng hợp',
  approved: 'Đã phê duyệt', delivered: 'Đã gửi bản tổng hợp', skipped: 'Không yêu cầu báo cáo',
};
const params = new URLSearchParams(location.search);
// Seconds between refreshes: 30, or ?refresh=N (5 to 600).
const REFRESH_S = Math.min(600, Math.max(5, Number.parseInt(params.get('refresh') || '30', 10) || 30));

let ctx = null;
const rows = new Map();   // unit code -> { tr, tbody, key, text, state }
const groups = new Map(); // group -> { tbody, head }
let filter = 'all';
let words = '';

// What makes a row look different: when it changes, the row is written again.
function rowKey(u) {
  return [u.state, u.version, u.received_at, u.items, u.comment || ''].join('|');
}

// The cells of a unit's row.
function cells(u) {
  const link = el('a', { href: pageUrl('/unit.html', ctx.series.name, ctx.periodId, { unit: u.unit }), text: u.name });
  const badge = el('span', { class: 'badge ' + u.state, text: STATES[u.state] || u.state });
  return [
    el('td', { class: 'code', text: u.unit }),
    el('td', {}, link),
    el('td', { title: u.comment || null }, badge),
    el('td', { text: u.received_at ? timeShort(u.received_at) : '—' }),
    el('td', { class: 'qty', text: u.version ? String(u.version) : '—' }),
    el('td', { class: 'qty', text: u.version ? String(u.items) : '—' }),
  ];
}

// Builds the whole table once.
function render(units) {
  const table = $('board');
  for (const g of groups.values()) g.tbody.remove();
  groups.clear();
  rows.clear();
  const frag = document.createDocumentFragment();
  for (const u of units) {
    let g = groups.get(u.group);
    if (!g) {
      const head = el('th', { colspan: '6', scope: 'rowgroup' });
      const tbody = el('tbody', { class: 'group' }, el('tr', { class: 'group-head' }, head));
      g = { tbody, head, name: groupName(u.group), total: 0 };
      groups.set(u.group, g);
      frag.append(tbody);
    }
    const tr = el('tr', { 'data-unit': u.unit }, ...cells(u));
    g.tbody.append(tr);
    g.total++;
    rows.set(u.unit, { tr, group: g, key: rowKey(u), text: fold(u.name + ' ' + u.unit), state: u.state });
  }
  table.append(frag);
}

// Writes again the rows that changed; false when the roster itself changed.
function update(units) {
  if (units.length !== rows.size || units.some((u) => !rows.has(u.unit))) return false;
  for (const u of units) {
    const r = rows.get(u.unit);
    const key = rowKey(u);
    if (key === r.key) continue;
    r.tr.replaceChildren(...cells(u));
    r.tr.classList.add('changed');
    r.key = key;
    r.state = u.state;
  }
  return true;
}

// Shows the rows the filter and the search let through, and how many.
function apply() {
  const needle = fold(words.trim());
  let shown = 0;
  const seen = new Map();
  for (const r of rows.values()) {
    const visible = (filter === 'all' || r.state === filter) && (!needle || r.text.includes(needle));
    if (r.tr.hidden === visible) r.tr.hidden = !visible;
    if (visible) {
      shown++;
      seen.set(r.group, (seen.get(r.group) || 0) + 1);
    }
  }
  for (const g of groups.values()) {
    const n = seen.get(g) || 0;
    g.tbody.hidden = n === 0;
    g.head.textContent = `${g.name} (${n === g.total ? n : n + '/' + g.total})`;
  }
  $('shown').textContent = `Đang hiện ${shown} trên ${rows.size} đơn vị.`;
  $('none-shown').hidden = shown > 0 || rows.size === 0;
}

// Shows the counts at the top.
function showCounts(totals) {
  for (const k of ['expected', 'on_time', 'late', 'missing', 'returned']) $('n-' + k).textContent = String(totals[k]);
}

// Reads the board again; render the first time, then only the changes.
async function refresh() {
  const doc = await api('GET', ctx.base + '/status');
  showCounts(doc.totals);
  if (rows.size === 0 || !update(doc.units)) render(doc.units);
  apply();
  performance.mark('board-shown'); // the benchmark (tests/bench/web/board) reads it
  $('period-state').textContent = PERIOD_STATES[doc.state] || doc.state;
  $('units').hidden = false;
  const now = new Date();
  $('updated').textContent = `Tự cập nhật mỗi ${REFRESH_S} giây · lần cuối lúc ${now.toLocaleTimeString('vi-VN', { hour12: false })}`;
}

// Refreshes, saying so when it fails (the board stays as it was).
async function refreshQuietly() {
  try {
    await refresh();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    $('updated').textContent = 'Chưa cập nhật được: ' + err.message + ' Bảng sẽ tự thử lại sau ' + REFRESH_S + ' giây.';
  }
}

// The header of the period: title, deadline in words and as a countdown.
function showPeriod(p) {
  $('series-title').textContent = ctx.series.title;
  $('period-title').textContent = p.title;
  if (p.skipped) {
    $('deadline').textContent = 'Kỳ này không yêu cầu báo cáo.' + (p.reason ? ' ' + p.reason : '');
  } else {
    $('deadline').textContent = 'Hạn gửi của các đơn vị: ' + (p.unit_deadline_text || timeWords(p.unit_deadline)) +
      '. Hạn tổng hợp: ' + timeWords(p.consolidation_deadline) + '.';
    countdown($('countdown'), p.unit_deadline);
  }
  $('export').href = ctx.base + '/status?format=xlsx';
  $('period').hidden = false;
}

// The reminders: the preview of who gets one, then the round.
function wireRemind() {
  const status = $('remind-status');
  $('remind-preview').addEventListener('click', async () => {
    say(status, 'Đang xem danh sách…', 'info');
    try {
      const doc = await api('GET', ctx.base + '/remind/preview');
      const body = $('remind-body');
      body.replaceChildren(...doc.units.map((u) => el('tr', {},
        el('td', { class: 'code', text: u.unit }), el('td', { text: u.name }),
        el('td', { class: 'qty', text: String(u.addresses) }))));
      $('remind-caption').textContent = `${doc.units.length} đơn vị chưa gửi, ${doc.addresses} địa chỉ nhận thư nhắc`;
      $('remind-list').hidden = doc.units.length === 0;
      const last = doc.last_manual_at ? ` Lần nhắc gần nhất: ${timeShort(doc.last_manual_at)}.` : '';
      if (doc.units.length === 0) {
        say(status, 'Mọi đơn vị đã gửi báo cáo; không cần nhắc.', 'ok');
      } else if (doc.addresses === 0) {
        say(status, 'Các đơn vị chưa gửi không có địa chỉ thư nào. Hãy đề nghị quản trị viên bổ sung địa chỉ của đơn vị.' + last, 'warn');
      } else {
        say(status, `Bấm “Gửi nhắc” để gửi thư đến ${doc.units.length} đơn vị (${doc.addresses} địa chỉ).` + last, 'info');
      }
      $('remind-send').disabled = doc.units.length === 0;
    } catch (err) {
      say(status, err.message, 'error');
    }
  });
  $('remind-send').addEventListener('click', async () => {
    $('remind-send').disabled = true;
    try {
      const doc = await api('POST', ctx.base + '/remind', {});
      const detail = doc.queued_now ? ` (${doc.units_missing} đơn vị, ${doc.messages} thư).` : ' Hãy thử lại sau 10 phút nếu cần nhắc lần nữa.';
      say(status, doc.message + detail, doc.queued_now ? 'ok' : 'warn');
    } catch (err) {
      say(status, err.message, 'error');
      $('remind-send').disabled = false;
    }
  });
}

// Wires the filter, the search and the refresh button.
function wireBoard() {
  for (const r of document.querySelectorAll('input[name="filter"]')) {
    r.addEventListener('change', () => {
      filter = r.value;
      apply();
    });
  }
  let pending = 0;
  $('search').addEventListener('input', (e) => {
    words = e.target.value;
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(apply);
  });
  $('refresh').addEventListener('click', refreshQuietly);
}

async function main() {
  ctx = await openCoordinator();
  showPeriod(ctx.period);
  wireBoard();
  if (!ctx.period.skipped) {
    $('remind').hidden = false;
    wireRemind();
  }
  await refresh();
  setInterval(refreshQuietly, REFRESH_S * 1000);
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return;
  pageError(err);
});
