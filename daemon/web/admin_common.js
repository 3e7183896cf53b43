// What the sections of the administrators' page share: the status line, confirmations,
// buttons that wait for the daemon, table cells, labels of states.
import { $, el, say } from './ui.js';

// Shows the outcome of an action in box (the page's status line by default) and brings it
// into view.
export function report(text, kind = 'ok', box = $('status')) {
  say(box, text, kind);
  if (text) box.scrollIntoView({ block: 'nearest' });
}

// Asks before something that cannot be undone simply.
export function confirmed(question) {
  return window.confirm(question);
}

// Runs fn with the button disabled; an error goes to box with what to do.
export async function busy(button, box, fn) {
  button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    report(err.message, 'error', box);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

// A table cell with text.
export function td(text, cls) {
  return el('td', { class: cls, text: text === undefined || text === null ? '' : String(text) });
}

// A small button for a row of a table.
export function rowButton(text, label, onclick, cls = 'secondary small') {
  return el('button', { type: 'button', class: cls, 'aria-label': label, onclick, text });
}

// Keeps the rows of a table body whose text holds the words of the filter field.
export function filterRows(input, body) {
  const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const tr of body.rows) {
    const text = tr.textContent.toLowerCase();
    tr.hidden = !words.every((w) => text.includes(w));
    if (!tr.hidden) shown += 1;
  }
  return shown;
}

export const ROLES = {
  reporter: 'Báo cáo', coordinator: 'Điều phối', recipient: 'Nhận báo cáo', admin: 'Quản trị',
};

export const PERIOD_STATES = {
  open: 'Đang mở', cut_off: 'Đã khóa sổ', consolidated: 'Đã tổng hợp', approved: 'Đã phê duyệt',
  delivered: 'Đã gửi đi', skipped: 'Không có kỳ',
};

export const MAIL_STATES = {
  queued: 'Chờ gửi', sending: 'Đang gửi', sent: 'Đã gửi', deferred: 'Tạm hoãn, sẽ thử lại',
  failed: 'Lỗi', expired: 'Quá hạn, không gửi nữa', unknown: 'Không rõ, sẽ gửi lại',
};

// "2026-11-27T11:00:00+07:00" as a datetime-local field's value, "2026-11-27T11:00".
export function localInput(iso) {
  return iso ? iso.slice(0, 16) : '';
}

// A datetime-local field's value as the daemon reads local time: "2026-11-27 11:00".
export function localTime(value) {
  return value.replace('T', ' ').slice(0, 16);
}
