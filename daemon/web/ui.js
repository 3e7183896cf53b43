// What the pages share: building elements, the page header, Vietnamese dates and durations,
// the state of a report, receipts and lists of errors.
import { logout, serverNow } from './api.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const WEEKDAYS = ['Chủ nhật', 'thứ Hai', 'thứ Ba', 'thứ Tư', 'thứ Năm', 'thứ Sáu', 'thứ Bảy'];

// Makes an element: el('p', { class: 'note' }, 'text', child...). Text is never parsed as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// Shortcut for document.getElementById.
export function $(id) {
  return document.getElementById(id);
}

// Shows a message in a box of the page (kind: info, ok, error); empty text hides it.
export function say(box, text, kind = 'info') {
  box.textContent = text || '';
  box.className = 'message ' + kind;
  box.hidden = !text;
}

// Fills the page header with the unit and the account, and wires the log-out button.
export function header(me) {
  const who = $('who');
  if (who) who.textContent = me.unit.name + ' · ' + (me.display_name || me.login);
  const out = $('logout');
  if (out) out.addEventListener('click', () => logout());
}

// The parts of a time in Hà Tĩnh's zone (one formatter, made once: making one is slow, and
// the board formats thousands of times).
let partsFormat = null;
function parts(ms) {
  if (!partsFormat) {
    partsFormat = new Intl.DateTimeFormat('en-GB', {
      timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
      minute: '2-digit', weekday: 'short', hourCycle: 'h23',
    });
  }
  const p = {};
  for (const x of partsFormat.formatToParts(new Date(ms))) p[x.type] = x.value;
  const days = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
  return { ...p, wd: days[p.weekday] };
}

// The time of an RFC 3339 text, also with a zone written "+07" (as PostgreSQL's OF gives).
export function parseTime(iso) {
  return Date.parse(/[+-]\d\d$/.test(iso) ? iso + ':00' : iso);
}

// "11 giờ 00, thứ Sáu, ngày 11/12/2026" from an RFC 3339 time.
export function timeWords(iso) {
  const p = parts(parseTime(iso));
  return `${p.hour} giờ ${p.minute}, ${WEEKDAYS[p.wd]}, ngày ${p.day}/${p.month}/${p.year}`;
}

// "09:05 ngày 25/11/2026".
export function timeShort(iso) {
  const p = parts(parseTime(iso));
  return `${p.hour}:${p.minute} ngày ${p.day}/${p.month}/${p.year}`;
}

// "25/11/2026" from "2026-11-25".
export function dateVi(ymd) {
  if (!ymd) return '';
  const [y, m, d] = ymd.split('-');
  return `${d}/${m}/${y}`;
}

// A duration in words: "2 ngày 3 giờ 15 phút", "40 giây".
export function duration(ms) {
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const out = [];
  if (d) out.push(d + ' ngày');
  if (h) out.push(h + ' giờ');
  if (m && d === 0) out.push(m + ' phút');
  if (d === 0 && h === 0) out.push(s + ' giây');
  return out.join(' ');
}

// Keeps a countdown to a deadline up to date in node.
export function countdown(node, deadlineIso) {
  const deadline = parseTime(deadlineIso);
  const tick = () => {
    const left = deadline - serverNow();
    node.textContent = left > 0 ? 'Còn ' + duration(left) : 'Đã quá hạn ' + duration(left);
    node.className = 'countdown ' + (left <= 0 ? 'late' : left < 86400000 ? 'soon' : 'ok');
  };
  tick();
  return setInterval(tick, 1000);
}

// The state of the unit's report: key and Vietnamese label. sub is GET .../submission's
// answer, or null when nothing was sent. A report the coordinator returned for correction
// carries review.decision "returned" with the coordinator's comment.
export function reportState(sub) {
  if (!sub) return { key: 'missing', label: 'Chưa gửi' };
  const review = sub.review;
  if (review && review.decision === 'returned') {
    return { key: 'returned', label: 'Cần bổ sung', comment: review.comment || '' };
  }
  if (sub.receipt.on_time && sub.receipt.extended_until) {
    return { key: 'on_time', label: `Đã gửi đúng hạn (gia hạn đến ${timeShort(sub.receipt.extended_until)})` };
  }
  return sub.receipt.on_time ? { key: 'on_time', label: 'Đã gửi đúng hạn' }
    : { key: 'late', label: 'Gửi muộn' };
}

// A period's label from its id and dates: "Tuần 48 (23/11/2026 – 29/11/2026)".
export function periodLabel(p) {
  const m = /^(\d{4})-W(\d{2})$/.exec(p.period);
  const span = p.starts_on ? ` (${dateVi(p.starts_on)} – ${dateVi(p.ends_on)})` : '';
  if (m) return `Tuần ${Number(m[2])} năm ${m[1]}${span}`;
  return p.period + span;
}

const CHANNELS = { xlsx: 'Tệp Excel', web: 'Biểu mẫu trên trang', api: 'Chương trình (API)' };

// Names a channel of a submission.
export function channelName(c) {
  return CHANNELS[c] || c;
}

// Renders a receipt into box, with buttons to print it and to save it as a file.
export function showReceipt(box, receipt, heading) {
  box.replaceChildren();
  const rows = [
    ['Đơn vị', receipt.unit],
    ['Kỳ báo cáo', receipt.period],
    ['Phiên bản', String(receipt.version)],
    ['Thời điểm nhận', timeWords(receipt.received_at)],
    ['Đúng hạn', !receipt.on_time ? 'Gửi muộn'
      : receipt.extended_until ? `Đúng hạn (gia hạn đến ${timeWords(receipt.extended_until)})` : 'Đúng hạn'],
    ['Số nhiệm vụ', String(receipt.items)],
    ['Mã biên nhận', String(receipt.submission)],
    ['SHA-256 của nội dung', receipt.sha256],
    ['Chữ ký số (Ed25519)', receipt.signature],
  ];
  const dl = el('dl', { class: 'receipt' });
  for (const [k, v] of rows) dl.append(el('dt', { text: k }), el('dd', { text: v }));
  const blob = new Blob([JSON.stringify(receipt, null, 2) + '\n'], { type: 'application/json' });
  const save = el('a', {
    class: 'button secondary', download: `bien-nhan-${receipt.unit}-${receipt.period}-v${receipt.version}.json`,
    href: URL.createObjectURL(blob), text: 'Lưu biên nhận (.json)',
  });
  const print = el('button', { type: 'button', class: 'secondary', onclick: () => window.print(), text: 'In biên nhận' });
  box.append(
    el('h2', { text: heading || 'Biên nhận báo cáo' }),
    el('p', { class: 'message ok', role: 'status', text: `Hệ thống đã nhận báo cáo (phiên bản ${receipt.version}). Hãy lưu hoặc in biên nhận này để làm bằng chứng đã gửi.` }),
    dl,
    el('p', { class: 'note', text: 'Biên nhận có chữ ký số của máy chủ; ai cũng kiểm tra được bằng lệnh baocaoctl receipt verify.' }),
    el('div', { class: 'actions no-print' }, print, save));
  box.hidden = false;
}

// Renders the errors of a refused report into box, as a table of sheet, cell and problem.
export function showErrors(box, doc) {
  box.replaceChildren();
  const errors = doc.errors || [];
  const table = el('table', { class: 'errors' },
    el('caption', { text: `${errors.length} lỗi cần sửa` }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Trang tính' }),
      el('th', { scope: 'col', text: 'Ô' }), el('th', { scope: 'col', text: 'Lỗi và cách sửa' }))));
  const body = el('tbody');
  for (const e of errors) {
    body.append(el('tr', {}, el('td', { text: e.sheet || '—' }),
      el('td', { class: 'cell', text: e.cell || e.field || '—' }), el('td', { text: e.message })));
  }
  table.append(body);
  box.append(
    el('h2', { text: 'Báo cáo chưa được nhận' }),
    el('p', { class: 'message error', role: 'alert', text: (doc.error && doc.error.message) || 'Báo cáo có lỗi.' }),
    el('p', { text: 'Hãy mở tệp Excel, sửa từng ô được nêu dưới đây, lưu lại rồi gửi lại tệp. Chưa có gì được lưu.' }),
    table,
    el('div', { class: 'actions no-print' },
      el('button', { type: 'button', class: 'secondary', onclick: () => window.print(), text: 'In danh sách lỗi' })));
  box.hidden = false;
}

// The series a page opens with: the one asked for, else the one whose deadline comes next.
export function pickSeries(me, asked) {
  const named = me.series.find((s) => s.name === asked);
  if (named) return named;
  const now = serverNow();
  const open = me.series.filter((s) => s.current && !s.current.skipped && s.current.unit_deadline)
    .sort((a, b) => {
      const da = Date.parse(a.current.unit_deadline);
      const db = Date.parse(b.current.unit_deadline);
      return (da < now) - (db < now) || da - db;
    });
  return open[0] || me.series.find((s) => s.current) || me.series[0];
}

// Shows a fatal problem of the page (the API unreachable...) with what to do.
export function pageError(err) {
  const box = $('page-error');
  if (box) say(box, err.message || String(err), 'error');
}
