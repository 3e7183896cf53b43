// The coordinator's board: every unit of the period grouped, with its state and time, the
// counts, a filter and a search, refreshing on its own; and the reminders with their preview.
// Built for thousands of units: the filter and the search pick the units in JS, and the rows
// shown are put in blocks of BLOCK rows, in order, group by group. The browser lays out a full
// block only near the screen (content-visibility: auto in app.css), and a unit's row is made
// (a copy of one model row) only when its block first comes near the screen: the top of the
// board at once, the rest as the person scrolls (an IntersectionObserver). A row once made is
// kept: moved between blocks when the filter changes, or into a hidden box when it is not
// shown. A refresh rewrites only the rows that changed.
import { api, ApiError } from './api.js';
import { $, el, say, timeShort, pageError } from './ui.js';
import { openCoordinator, groupName, fold, pageUrl, STATES, PERIOD_STATES, showPeriodHead, showCounts } from './coord.js';
import { DOC_STATES } from './document.js';
import { pickCell, fillPick, wireBulk, bulkUpdate } from './board_bulk.js';
const params = new URLSearchParams(location.search);
// Seconds between refreshes: 30, or ?refresh=N (5 to 600).
const REFRESH_S = Math.min(600, Math.max(5, Number.parseInt(params.get('refresh') || '30', 10) || 30));
// Rows per block; a full block's height is known to the style sheet (.board .block.full).
const BLOCK = 50;
// The rows at the top of the board made at once (more than a screen holds).
const EAGER = 100;

let ctx = null;
let unitHref = '';         // the unit page's address, without the unit's code
const rows = new Map();    // unit code -> { u, node, group, key, text, state, shown, changed }
const groups = new Map();  // group -> { node, head, name, total, members: [row], blocks: [block] }
const blockOf = new WeakMap(); // a block's element -> { node, rows, empty }
let parked = null;         // the hidden box of the rows made but not shown
let observer = null;       // fills an empty block when it comes near the screen
let filter = 'all';
let words = '';
let lastShown = [];        // the rows the filter and the search show, in order

// What makes a row look different: when it changes, the row is written again.
function rowKey(u) {
  return [u.state, u.version, u.received_at, u.items, u.comment || '', u.document || '',
    u.review || '', u.extension ? u.extension.until : ''].join('|');
}

// The model of a unit's row, copied for each unit.
let model = null;
function newRow() {
  if (!model) {
    model = el('div', { role: 'row', class: 'row unit' }, pickCell(),
      el('span', { role: 'cell', class: 'code' }),
      el('span', { role: 'cell', class: 'name' }, el('a', { href: '#' })),
      el('span', { role: 'cell', class: 'state' }, el('span', { class: 'badge' })),
      el('span', { role: 'cell', class: 'time' }),
      el('span', { role: 'cell', class: 'qty' }),
      el('span', { role: 'cell', class: 'qty' }));
  }
  return model.cloneNode(true);
}

// Writes a unit into its row.
function fill(node, u) {
  const [pick, code, name, state, time, version, items] = node.children;
  fillPick(pick, u);
  code.textContent = u.unit;
  name.firstChild.href = unitHref + encodeURIComponent(u.unit);
  name.firstChild.textContent = u.name;
  state.firstChild.className = 'badge ' + u.state;
  // A unit with an extension is marked "gia hạn"; the mark's title says until when and why.
  state.firstChild.textContent = (STATES[u.state] || u.state) + (u.extension ? ' · gia hạn' : '');
  // The comment of a returned report, else the extension, else the document's state.
  const docText = u.document ? DOC_STATES[u.document] || u.document : '';
  const extText = u.extension ? `Gia hạn đến ${timeShort(u.extension.until)}. Lý do: ${u.extension.reason}` : '';
  if (u.comment || extText || docText) state.title = u.comment || extText || docText;
  else state.removeAttribute('title');
  time.textContent = u.received_at ? timeShort(u.received_at) : '—';
  time.classList.toggle('none', !u.received_at);
  version.textContent = u.version ? String(u.version) : '—';
  items.textContent = u.version ? String(u.items) : '—';
}

// A unit's row, made the first time it is needed.
function nodeOf(r) {
  if (!r.node) {
    r.node = newRow();
    r.node.dataset.unit = r.u.unit;
    fill(r.node, r.u);
    if (r.changed) r.node.classList.add('changed');
    r.shown = true;
  }
  return r.node;
}

// Puts a block's rows into it, or leaves it empty (its height kept) until it comes near.
function fillBlock(b, now) {
  if (now) {
    b.node.replaceChildren(...b.rows.map(nodeOf));
    if (b.empty) observer.unobserve(b.node);
  } else {
    b.node.replaceChildren();
    if (!b.empty) observer.observe(b.node);
  }
  b.empty = !now;
  b.node.classList.toggle('empty', b.empty);
}

// Builds the groups once (and again when the roster changes); the rows wait for apply().
function render(units) {
  const board = $('board');
  for (const g of groups.values()) g.node.remove();
  if (parked) parked.remove();
  if (observer) observer.disconnect();
  observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const b = blockOf.get(e.target);
      if (e.isIntersecting && b && b.empty) fillBlock(b, true);
    }
  }, { rootMargin: '1500px 0px' });
  groups.clear();
  rows.clear();
  unitHref = pageUrl('/unit.html', ctx.series.name, ctx.periodId, { unit: '' });
  parked = el('div', { class: 'parked', hidden: true });
  const frag = document.createDocumentFragment();
  for (const u of units) {
    let g = groups.get(u.group);
    if (!g) {
      const head = el('span', { role: 'rowheader', 'aria-colspan': '7' });
      const node = el('div', { role: 'rowgroup', class: 'group' }, el('div', { role: 'row', class: 'group-head' }, head));
      g = { node, head, name: groupName(u), total: 0, members: [], blocks: [] };
      groups.set(u.group, g);
      frag.append(node);
    }
    const r = { u, node: null, group: g, key: rowKey(u), text: null, state: u.state, shown: true, changed: false };
    g.members.push(r);
    g.total++;
    rows.set(u.unit, r);
  }
  frag.append(parked);
  board.append(frag);
  // The texts the search looks in, made while the page is idle (the first search then waits
  // for none of them; one made before then is kept).
  const all = [...rows.values()];
  const later = window.requestIdleCallback || ((f) => setTimeout(f, 200));
  later(() => {
    for (const r of all) if (r.text === null) r.text = fold(r.u.name + ' ' + r.u.unit);
  });
}

// Writes again the rows that changed; false when the roster itself changed.
function update(units) {
  if (units.length !== rows.size || units.some((u) => !rows.has(u.unit))) return false;
  for (const u of units) {
    const r = rows.get(u.unit);
    const key = rowKey(u);
    if (key === r.key) continue;
    r.u = u;
    r.key = key;
    r.state = u.state;
    r.changed = true;
    if (r.node) {
      fill(r.node, u);
      r.node.classList.add('changed');
    }
  }
  return true;
}

// Puts a group's rows shown into its blocks, touching only the blocks whose rows changed. A
// block is filled at once when its rows are all made, when it is not full (the end of a
// group), or when it is at the top of the board (before = rows shown above the group).
function layOut(g, list, before) {
  const count = Math.ceil(list.length / BLOCK);
  for (let i = 0; i < count; i++) {
    const part = list.slice(i * BLOCK, (i + 1) * BLOCK);
    let b = g.blocks[i];
    if (!b) {
      b = { node: el('div', { role: 'none', class: 'block' }), rows: [], empty: false };
      blockOf.set(b.node, b);
      g.blocks.push(b);
      g.node.append(b.node);
    }
    if (b.rows.length === part.length && b.rows.every((r, k) => r === part[k])) continue;
    const full = part.length === BLOCK;
    b.rows = part;
    b.node.classList.toggle('full', full);
    fillBlock(b, !full || before + i * BLOCK < EAGER || part.every((r) => r.node));
  }
  for (const b of g.blocks.splice(count)) {
    if (b.empty) observer.unobserve(b.node);
    b.node.remove();
  }
}

// Shows the rows the filter and the search let through, and how many.
function apply() {
  const needle = fold(words.trim());
  let shown = 0;
  const away = [];
  lastShown = [];
  for (const g of groups.values()) {
    const list = [];
    for (const r of g.members) {
      if (needle && r.text === null) r.text = fold(r.u.name + ' ' + r.u.unit);
      const visible = (filter === 'all' || r.state === filter) && (!needle || r.text.includes(needle));
      if (visible) list.push(r);
      if (!r.node) continue;
      if (!visible && r.node.parentNode !== parked) away.push(r.node);
      if (r.shown !== visible) {
        r.shown = visible;
        r.node.hidden = !visible;
      }
    }
    layOut(g, list, shown);
    lastShown.push(...list);
    shown += list.length;
    g.node.hidden = list.length === 0;
    g.head.textContent = `${g.name} (${list.length === g.total ? list.length : list.length + '/' + g.total})`;
  }
  if (away.length) parked.append(...away);
  $('shown').textContent = `Đang hiện ${shown} trên ${rows.size} đơn vị.`;
  $('none-shown').hidden = shown > 0 || rows.size === 0;
}

// Reads the board again; render the first time, then only the changes.
async function refresh() {
  const doc = await api('GET', ctx.base + '/status');
  showCounts(doc.totals, doc.require_document);
  if (rows.size === 0 || !update(doc.units)) render(doc.units);
  apply();
  bulkUpdate();
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

// The header of the period: title, deadline in words and as a countdown, the export.
function showPeriod() {
  showPeriodHead(ctx);
  $('export').href = ctx.base + '/status?format=xlsx';
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
  wireBoard();
  wireBulk({
    base: ctx.base,
    unitOf: (code) => (rows.has(code) ? rows.get(code).u : null),
    shown: () => lastShown.map((r) => r.u),
    repick: () => {
      for (const r of rows.values()) if (r.node) fillPick(r.node.firstChild, r.u);
    },
    refresh,
  });
  if (!ctx.period.skipped) wireRemind();
  // The head, the units and the reminders appear together with the first status, so that
  // nothing moves as it comes.
  await refresh();
  showPeriod();
  $('remind').hidden = ctx.period.skipped;
  setInterval(refreshQuietly, REFRESH_S * 1000);
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return;
  pageError(err);
});
