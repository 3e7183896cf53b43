// The timeliness table: per unit, its last periods on time, late or missing, and its rate; the
// consolidating unit's own delivery first.
import { api, ApiError } from './api.js';
import { $, el, dateVi, pageError } from './ui.js';
import { openCoordinator, groupName, fold, enc } from './coord.js';

const MARKS = { on_time: 'Đ', late: 'M', missing: 'K' };
const WORDS = { on_time: 'đúng hạn', late: 'gửi muộn', missing: 'không gửi' };
let doc = null;
let rows = [];
let own = null; // the consolidating unit's row

// The column headers: the unit, one per period (its week or dates), the counts and the rate.
function head() {
  const cols = [el('th', { scope: 'col', text: 'Đơn vị' })];
  for (const p of doc.periods) {
    const m = /^\d{4}-W(\d{2})$/.exec(p.period);
    cols.push(el('th', { scope: 'col', class: 'period', title: p.title, text: m ? 'T' + Number(m[1]) : dateVi(p.starts_on) }));
  }
  cols.push(el('th', { scope: 'col', class: 'qty', text: 'Đúng hạn' }), el('th', { scope: 'col', class: 'qty', text: 'Muộn' }),
    el('th', { scope: 'col', class: 'qty', text: 'Không gửi' }), el('th', { scope: 'col', class: 'qty', text: 'Tỉ lệ đúng hạn' }));
  $('head-row').replaceChildren(...cols);
}

// One row per unit, made when first laid out (rowOf); the consolidating unit's own (its
// report delivered by the consolidation deadline) apart.
function build() {
  const c = doc.consolidator;
  own = c ? el('tr', { class: 'consolidator' }, ...cells(c, 'gửi báo cáo tổng hợp')) : null;
  rows = doc.units.map((u) => ({ u, tr: null, text: fold(u.name + ' ' + u.unit) }));
}

// A unit's row, made once.
function rowOf(r) {
  if (!r.tr) r.tr = el('tr', {}, ...cells(r.u, ''));
  return r.tr;
}

// A row's cells: the name, a mark per period, the counts and the rate.
function cells(u, what) {
  const tds = [el('td', {}, u.name, el('span', { class: 'code small', text: ' ' + u.unit }), what ? el('span', { class: 'note', text: ' · ' + what }) : null)];
  u.states.forEach((s, i) => {
    const none = what ? 'chưa đến hạn' : 'không phải báo cáo';
    // On time only by an extension: "G", counted on time.
    const ext = s === 'on_time' && (u.extended || []).includes(doc.periods[i].period);
    tds.push(el('td', { class: 'mark ' + (s || 'none'), title: `${doc.periods[i].title}: ${s ? WORDS[s] : none}${ext ? ' (được gia hạn)' : ''}`, text: ext ? 'G' : s ? MARKS[s] : '' }));
  });
  tds.push(el('td', { class: 'qty', text: String(u.on_time) }), el('td', { class: 'qty', text: String(u.late) }),
    el('td', { class: 'qty', text: String(u.missing) }),
    el('td', { class: 'qty rate', text: u.rate === null ? '—' : u.rate.toLocaleString('vi-VN') + '%' }));
  return tds;
}

// Rows laid out per task: the first screenful at once, the rest in later tasks, so that no
// task keeps a slow phone busy for long (rows added below what is shown move nothing).
const CHUNK = 30;
let generation = 0;

// Lays the rows out in the order chosen, with the group headings, keeping the search; the
// table's body gets data-complete once every row is in.
function layout() {
  const gen = ++generation;
  const byRate = $('sort').value === 'rate';
  const list = [...rows];
  if (byRate) list.sort((a, b) => (a.u.rate ?? 101) - (b.u.rate ?? 101) || a.u.name.localeCompare(b.u.name, 'vi'));
  const body = $('rows');
  const items = [];
  let group = null;
  if (own) {
    items.push(el('tr', { class: 'group-head' }, el('th', { colspan: String(doc.periods.length + 5), scope: 'rowgroup', text: 'Đơn vị tổng hợp: đúng hạn khi gửi báo cáo tổng hợp trước hạn tổng hợp' })), own);
  }
  for (const r of list) {
    if (!byRate && r.u.group !== group) {
      group = r.u.group;
      items.push(el('tr', { class: 'group-head' }, el('th', { colspan: String(doc.periods.length + 5), scope: 'rowgroup', text: groupName(r.u) })));
    }
    items.push(r);
  }
  body.replaceChildren();
  delete body.dataset.complete;
  let i = 0;
  const step = () => {
    if (gen !== generation) return; // laid out again meanwhile
    const frag = document.createDocumentFragment();
    for (const end = Math.min(items.length, i + CHUNK); i < end; i++) {
      frag.append(items[i] instanceof Node ? items[i] : rowOf(items[i]));
    }
    body.append(frag);
    search();
    if (i < items.length) setTimeout(step, 0);
    else body.dataset.complete = '';
  };
  step();
}

// Hides the units the search leaves out.
function search() {
  const needle = fold($('search').value.trim());
  for (const r of rows) if (r.tr) r.tr.hidden = !!needle && !r.text.includes(needle);
}

async function main() {
  const ctx = await openCoordinator({ period: false });
  $('series-title').textContent = ctx.series.title;
  const params = new URLSearchParams(location.search);
  const n = ['4', '12', '26'].includes(params.get('periods')) ? params.get('periods') : '12';
  $('count').value = n;
  $('count').addEventListener('change', () => {
    location.assign(`/timeliness.html?series=${enc(ctx.series.name)}&periods=${enc($('count').value)}`);
  });
  $('intro').hidden = false;
  doc = await api('GET', `/api/v1/series/${enc(ctx.series.name)}/timeliness?periods=${n}`);
  $('none').hidden = doc.periods.length > 0;
  head();
  build();
  layout();
  $('sort').addEventListener('change', layout);
  $('search').addEventListener('input', search);
  $('table-card').hidden = false;
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return;
  pageError(err);
});
