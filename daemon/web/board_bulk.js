// The board's bulk acceptance: a checkbox on each row whose report waits for a decision, "select
// all shown" (what the filter and the search show), a confirmation listing the units with the
// version each is accepted at, then each unit's result (POST .../review, one item per unit:
// accepted, or why not).
import { api, ApiError } from './api.js';
import { $, el, say } from './ui.js';

// Items per request (the daemon takes up to 1000 in one).
const BATCH = 500;

const selected = new Set(); // unit codes
let hooks = null;           // { base, unitOf, shown, repick, refresh } from board.js
let judged = [];            // the items the confirmation shows: { unit, version }

// Whether a unit's report can be accepted: a version sent and not accepted yet.
export function selectable(u) {
  return Boolean(u && u.version > 0 && u.review !== 'accepted');
}

// The cell of the checkbox, for the board's model row; a report accepted has a mark instead.
export function pickCell() {
  return el('span', { role: 'cell', class: 'pick' }, el('input', { type: 'checkbox', class: 'pick' }),
    el('span', { class: 'accepted', title: 'Đã chấp nhận', hidden: true }, '✓',
      el('span', { class: 'visually-hidden', text: ' Đã chấp nhận' })));
}

// Writes a unit's checkbox: there when its report waits for a decision, ticked when chosen.
export function fillPick(cell, u) {
  const [box, mark] = cell.children;
  mark.hidden = !(u.version > 0 && u.review === 'accepted');
  const can = selectable(u);
  if (!can) selected.delete(u.unit);
  box.hidden = !can;
  box.disabled = !can;
  box.value = u.unit;
  box.checked = can && selected.has(u.unit);
  box.setAttribute('aria-label', `Chọn ${u.name} (${u.unit}), phiên bản ${u.version}`);
}

// The units chosen that can still be accepted, in the order they were chosen.
function chosen() {
  const list = [];
  for (const code of selected) {
    const u = hooks.unitOf(code);
    if (selectable(u)) list.push(u);
    else selected.delete(code);
  }
  return list;
}

// Says how many units are chosen and enables the button; after each refresh of the board too.
export function bulkUpdate() {
  if (!hooks) return;
  const n = chosen().length;
  $('bulk-count').textContent = n ? `Đã chọn ${n} đơn vị.` : 'Chưa chọn đơn vị nào.';
  $('bulk-accept').disabled = n === 0;
  $('bulk-clear').disabled = n === 0;
}

// A unit as a line: "Sở Tài chính (STC) — phiên bản 2".
function unitLine(u, version) {
  return `${u.name} (${u.unit}) — phiên bản ${version}`;
}

// Opens the confirmation with the units chosen and the version of each.
function confirmChoice() {
  const list = chosen();
  if (!list.length) return;
  $('bulk-dialog-title').textContent = `Chấp nhận báo cáo của ${list.length} đơn vị?`;
  $('bulk-list').replaceChildren(...list.map((u) => el('li', { text: unitLine(u, u.version) })));
  $('bulk-confirm').textContent = `Chấp nhận ${list.length} đơn vị`;
  $('bulk-confirm').disabled = false;
  say($('bulk-sending'), '');
  judged = list.map((u) => ({ unit: u.unit, version: u.version }));
  $('bulk-dialog').showModal();
}

// Sends the acceptance in batches; the results of every item sent, and the error that
// stopped it (null when none).
async function send(items) {
  const results = [];
  for (let i = 0; i < items.length; i += BATCH) {
    try {
      const doc = await api('POST', hooks.base + '/review', { decision: 'accepted', units: items.slice(i, i + BATCH) });
      results.push(...doc.results);
    } catch (err) {
      return { results, error: err };
    }
  }
  return { results, error: null };
}

// Shows which units were accepted and which were not, with why.
function showResults(results, error) {
  const box = $('bulk-result');
  const ok = results.filter((r) => r.ok);
  const failed = results.filter((r) => !r.ok);
  const name = (r) => {
    const u = hooks.unitOf(r.unit);
    return u ? `${u.name} (${r.unit})` : String(r.unit);
  };
  const parts = [el('h3', { text: 'Kết quả chấp nhận' })];
  let summary = `Đã chấp nhận ${ok.length} trên ${results.length} đơn vị.`;
  if (failed.length) summary += ` ${failed.length} đơn vị chưa được chấp nhận; lý do ghi bên dưới.`;
  if (error) summary += ' ' + (error instanceof ApiError ? error.message : 'Không gửi được yêu cầu.') + ' Các đơn vị chưa có kết quả chưa được chấp nhận.';
  parts.push(el('p', { text: summary }));
  if (ok.length) {
    parts.push(el('h4', { text: 'Đã chấp nhận' }),
      el('ul', { class: 'bulk-ok' }, ...ok.map((r) => el('li', { text: `${name(r)} — phiên bản ${r.version}` }))));
  }
  if (failed.length) {
    parts.push(el('h4', { text: 'Chưa chấp nhận được' }),
      el('ul', { class: 'bulk-failed' }, ...failed.map((r) => el('li', {},
        el('strong', { text: `${name(r)}${r.version ? ' — phiên bản ' + r.version : ''}: ` }),
        (r.error && r.error.message) || 'Không rõ lý do.'))));
  }
  box.replaceChildren(...parts);
  box.className = 'message bulk-result ' + (failed.length || error ? 'warn' : 'ok');
  box.hidden = false;
  box.focus();
}

// Sends the confirmed choice, shows the results and reads the board again.
async function accept() {
  const items = judged;
  $('bulk-confirm').disabled = true;
  say($('bulk-sending'), 'Đang gửi…', 'info');
  const { results, error } = await send(items);
  $('bulk-dialog').close();
  for (const r of results) if (r.ok) selected.delete(r.unit);
  showResults(results, error);
  try {
    await hooks.refresh();
  } catch (err) {
    // the board says so itself at its next refresh
  }
  hooks.repick();
  bulkUpdate();
}

// Wires the selection and the acceptance; h: base (the period's API path), unitOf(code),
// shown() (the units the filter and the search show), repick() (rewrites the checkboxes of
// the rows made), refresh() (reads the board again).
export function wireBulk(h) {
  hooks = h;
  $('bulk').hidden = false;
  $('board').addEventListener('change', (e) => {
    const box = e.target;
    if (!box.classList.contains('pick')) return;
    if (box.checked) selected.add(box.value);
    else selected.delete(box.value);
    bulkUpdate();
  });
  $('bulk-all').addEventListener('click', () => {
    for (const u of hooks.shown()) if (selectable(u)) selected.add(u.unit);
    hooks.repick();
    bulkUpdate();
  });
  $('bulk-clear').addEventListener('click', () => {
    selected.clear();
    hooks.repick();
    bulkUpdate();
  });
  $('bulk-accept').addEventListener('click', confirmChoice);
  $('bulk-confirm').addEventListener('click', accept);
  $('bulk-cancel').addEventListener('click', () => $('bulk-dialog').close());
  bulkUpdate();
}
