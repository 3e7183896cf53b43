// The recipient unit's board (Văn phòng Tỉnh ủy), read only: each unit of the period grouped,
// its state and when it reported, its document with the signature check's line, and links to
// its report (unit.html, read only) and to its document. No review, approval or reminder.
import { api, ApiError } from './api.js';
import { $, el, timeShort, pageError } from './ui.js';
import { openCoordinator, groupName, fold, pageUrl, enc, STATES, PERIOD_STATES, showPeriodHead, showCounts } from './coord.js';
import { documentClass } from './document.js';

const REFRESH_S = 60;
let ctx = null;
let units = [];
let filter = 'all';
let words = '';

// The document's cell: the signature line in the daemon's words, or why there is none.
function documentCell(u, doc, required) {
  if (doc) return el('span', { class: 'sig ' + documentClass(doc), text: doc.line });
  if (u.state === 'missing') return el('span', { class: 'none', text: '—' });
  return el('span', { class: 'sig missing', text: required ? 'Thiếu văn bản' : 'Không có văn bản' });
}

// One unit's row.
function unitRow(u, doc, required) {
  const report = pageUrl('/unit.html', ctx.series.name, ctx.periodId, { unit: u.unit });
  const links = el('td', { class: 'links' });
  if (u.state !== 'missing') links.append(el('a', { href: report, text: 'Báo cáo' }));
  if (doc && doc.file) {
    links.append(el('a', { href: `${ctx.base}/submission/document?unit=${enc(u.unit)}`, download: true, text: 'Văn bản (PDF)' }));
  }
  return el('tr', { 'data-unit': u.unit },
    el('td', { class: 'code', text: u.unit }),
    el('td', { class: 'name' }, el('a', { href: report, text: u.name })),
    el('td', {}, el('span', { class: 'badge ' + u.state, text: STATES[u.state] || u.state })),
    el('td', { class: u.received_at ? 'time' : 'time none', text: u.received_at ? timeShort(u.received_at) : '—' }),
    el('td', { class: !doc && u.state === 'missing' ? 'document none' : 'document' }, documentCell(u, doc, required)),
    links);
}

// Shows the units the filter and the search let through, grouped, and how many.
function apply(board, docs) {
  const needle = fold(words.trim());
  const body = $('board-body');
  const out = [];
  let shown = 0;
  let group = null;
  let head = null;
  let inGroup = 0;
  const close = () => {
    if (head) head.firstChild.textContent = `${head.dataset.name} (${inGroup})`;
  };
  for (const u of units) {
    if (filter !== 'all' && u.state !== filter) continue;
    if (needle && !fold(u.name + ' ' + u.unit).includes(needle)) continue;
    if (u.group !== group) {
      close();
      group = u.group;
      inGroup = 0;
      head = el('tr', { class: 'group-head', 'data-name': groupName(u) }, el('th', { colspan: '6', scope: 'colgroup' }));
      out.push(head);
    }
    out.push(unitRow(u, docs.get(u.unit), board.require_document));
    inGroup++;
    shown++;
  }
  close();
  body.replaceChildren(...out);
  $('shown').textContent = `Đang hiện ${shown} trên ${units.length} đơn vị.`;
  $('none-shown').hidden = shown > 0 || units.length === 0;
}

let last = null;

// Reads the board and the documents again and shows them.
async function refresh() {
  const [board, list] = await Promise.all([
    api('GET', ctx.base + '/status'),
    api('GET', ctx.base + '/documents'),
  ]);
  units = board.units;
  last = { board, docs: new Map(list.documents.map((d) => [d.unit, d])) };
  showCounts(board.totals, board.require_document);
  $('period-state').textContent = PERIOD_STATES[board.state] || board.state;
  apply(last.board, last.docs);
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

// Wires the filter, the search and the refresh button.
function wire() {
  for (const r of document.querySelectorAll('input[name="filter"]')) {
    r.addEventListener('change', () => {
      filter = r.value;
      if (last) apply(last.board, last.docs);
    });
  }
  $('search').addEventListener('input', (e) => {
    words = e.target.value;
    if (last) apply(last.board, last.docs);
  });
  $('refresh').addEventListener('click', refreshQuietly);
}

async function main() {
  ctx = await openCoordinator({ recipient: 'only' });
  showPeriodHead(ctx);
  wire();
  await refresh();
  setInterval(refreshQuietly, REFRESH_S * 1000);
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return;
  pageError(err);
});
