// A unit's timeline in a period (GET .../timeline): one ordered list, oldest first, each line
// its time and what happened, in Vietnamese. Shared by the unit's page (the coordinator and
// the recipient) and the reporter's own page; both pages have the same section (#timeline,
// last on the page, hidden until shown so that it never pushes anything down).
import { api } from './api.js';
import { el, $ } from './ui.js';
import { DOC_STATES } from './document.js';

const CHANNELS = { xlsx: '(tệp Excel)', web: '(biểu mẫu trên trang)', api: 'qua chương trình (API)' };
const SENT = { sent: 'đã gửi', failed: 'chưa gửi được', pending: 'đang gửi' };

// One formatter for Hà Tĩnh's time, made once.
let clock = null;

// "10 giờ 42, 04/12/2026" from an RFC 3339 time.
export function timeLine(iso) {
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    });
  }
  const p = {};
  for (const x of clock.formatToParts(new Date(Date.parse(iso)))) p[x.type] = x.value;
  return `${p.hour} giờ ${p.minute}, ${p.day}/${p.month}/${p.year}`;
}

// Whether a message arrived: sent, failed (failed or expired) or pending.
function addressState(a) {
  return a.delivered ? 'sent' : ['failed', 'expired'].includes(a.state) ? 'failed' : 'pending';
}

// Where a reminder or a return's mail went: "a@b, c@d: đã gửi", each address with its own
// state when they differ.
function addressesLine(list) {
  const all = list || [];
  if (all.length === 0) return '';
  const states = all.map(addressState);
  // The recipient is not shown the unit's addresses: how many, and whether they arrived.
  if (all.every((a) => a.address === null)) {
    const sent = states.filter((x) => x === 'sent').length;
    return `${all.length} địa chỉ của đơn vị: ${sent === all.length ? SENT.sent
      : `${sent} đã gửi, ${all.length - sent} chưa`}`;
  }
  if (states.every((x) => x === states[0])) {
    return `${all.map((a) => a.address).join(', ')}: ${SENT[states[0]]}`;
  }
  return all.map((a, i) => `${a.address} (${SENT[states[i]]})`).join(', ');
}

// The unit's version as a consolidation holds it: "(phiên bản 2)", or what stood instead.
function entryLine(e) {
  if (e.state === 'missing' || !e.version) return 'chưa có báo cáo của đơn vị';
  if (e.state === 'returned') return `phiên bản ${e.version}, đang chờ bổ sung`;
  return `phiên bản ${e.version}${e.state === 'late' ? ', gửi muộn' : ''}`;
}

// What one event says, in words.
const LABELS = {
  opened: () => 'Mở kỳ báo cáo',
  reminder: (e) => `${e.late ? 'Báo quá hạn' : e.manual ? 'Điều phối viên nhắc hạn' : 'Nhắc hạn'}` +
    `${e.extended ? ' (theo hạn đã gia hạn)' : ''}` +
    ` gửi tới ${addressesLine(e.addresses) || '(không có địa chỉ)'}`,
  submission: (e) => `Gửi phiên bản ${e.version} ${CHANNELS[e.channel] || `(${e.channel})`} — ` +
    `${e.on_time ? 'đúng hạn' : 'muộn'}${e.by ? ` · ${e.by}` : ''}` +
    `${e.on_behalf ? ' (điều phối viên gửi thay)' : ''}`,
  document: (e) => `Văn bản: ${e.signature || DOC_STATES[e.state] || e.state}` +
    `${e.version ? ` (kèm phiên bản ${e.version})` : ''}${e.on_time ? '' : ' — gửi muộn'}`,
  returned: (e) => `Trả lại: ${e.comment || ''} (phiên bản ${e.version}` +
    `${e.by ? `, ${e.by}` : ''})${e.addresses && e.addresses.length
      ? ` — báo tới ${addressesLine(e.addresses)}` : ''}`,
  accepted: (e) => `Chấp nhận (phiên bản ${e.version}${e.by ? `, ${e.by}` : ''})`,
  extension: (e) => `Gia hạn đến ${timeLine(e.until)}${e.reason ? `: ${e.reason}` : ''}` +
    `${e.by ? ` · ${e.by}` : ''}`,
  extension_revoked: (e) => `Thu hồi gia hạn (đến ${timeLine(e.until)})${e.by ? ` · ${e.by}` : ''}`,
  cutoff: (e) => (e.state === 'missing' ? 'Chốt số liệu: chưa có báo cáo của đơn vị'
    : `Vào bản tổng hợp lúc chốt (${entryLine(e)})`),
  final: (e) => `Bản tổng hợp chính thức số ${e.number} (${entryLine(e)})` +
    `${e.automatic ? ' — tự động gửi' : ''}`,
  acknowledged: (e) => `${e.unit_name || e.unit || 'Đơn vị nhận'} đã tiếp nhận bản tổng hợp số ${e.number}`,
};

// The class of a line: a problem (late, returned, not delivered) stands out.
function lineClass(e) {
  const bad = (e.kind === 'reminder' && e.state === 'failed') || e.kind === 'returned' ||
    (e.kind === 'submission' && !e.on_time) ||
    (e.kind === 'document' && ['invalid', 'modified', 'expired'].includes(e.state));
  return `tl-${e.kind}${bad ? ' tl-bad' : ''}`;
}

// Fills the section #timeline with the answer of GET .../timeline (null: hides it; failed:
// says so).
export function showTimeline(doc) {
  const section = $('timeline');
  if (!section) return;
  if (!doc) {
    section.hidden = true;
    return;
  }
  const events = doc.failed ? [] : doc.events || [];
  $('timeline-list').replaceChildren(...events.map((e) => el('li', { class: lineClass(e) },
    el('time', { datetime: e.at, text: timeLine(e.at) }),
    el('span', { text: (LABELS[e.kind] || (() => e.kind))(e) }))));
  const note = $('timeline-note');
  note.textContent = doc.failed ? 'Chưa tải được diễn biến trong kỳ; hãy tải lại trang.'
    : events.length === 0 ? 'Chưa có gì trong kỳ này.'
    : doc.truncated ? `Chỉ hiện ${doc.limit} mục đầu tiên.` : '';
  note.hidden = !note.textContent;
  section.hidden = false;
}

// Reads the unit's timeline (query: "unit=CODE", or "" for one's own unit); null when the
// period has none to show (not opened yet), { failed: true } when it could not be read, so
// that the page goes on without it.
export function loadTimeline(base, query) {
  return api('GET', `${base}/timeline${query ? `?${query}` : ''}`).catch((e) => {
    if (e.status === 401) throw e; // on the way to the login page
    return e.status === 404 || e.status === 403 ? null : { failed: true };
  });
}
