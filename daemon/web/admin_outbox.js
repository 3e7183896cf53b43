// The outbox: the messages, newest first, with their state and last error; "Gửi lại" for one
// that failed or expired.
import { api } from './api.js';
import { $, el, timeShort } from './ui.js';
import { report, busy, td, rowButton, confirmed, MAIL_STATES } from './admin_common.js';

const RETRYABLE = new Set(['failed', 'expired', 'unknown']);

// Sends a message again, after asking.
async function retry(m, button) {
  if (!confirmed(`Gửi lại thư số ${m.id} tới ${m.recipient}?`)) return;
  await busy(button, $('status'), async () => {
    const answer = await api('POST', `/api/v1/admin/outbox/${m.id}/retry`, {});
    await load();
    report(`Thư số ${m.id}: ${answer.message}`);
  });
}

export async function load() {
  const failed = $('outbox-failed').checked;
  const doc = await api('GET', '/api/v1/admin/outbox' + (failed ? '?failed=1' : ''));
  const body = $('outbox-body');
  body.replaceChildren();
  for (const m of doc.messages) {
    const bad = RETRYABLE.has(m.state);
    const action = el('td');
    if (bad) {
      const button = rowButton('Gửi lại', `Gửi lại thư số ${m.id}`, () => retry(m, button));
      action.append(button);
    }
    body.append(el('tr', { id: 'message-' + m.id },
      td(m.id), el('td', {}, el('span', { class: 'badge mail-' + m.state, text: MAIL_STATES[m.state] || m.state })),
      td(m.recipient), el('td', {}, m.subject, el('br'), el('span', { class: 'note', text: 'Tạo lúc ' + timeShort(m.created_at) })),
      td(m.attempts), td(m.last_error, bad ? 'error-text' : 'note'), action));
  }
  const n = doc.messages.length;
  $('outbox-count').textContent = n === 0 ? (failed ? 'Không có thư lỗi.' : 'Hộp thư đi trống.')
    : `${n} thư${n >= doc.limit ? ` (${doc.limit} thư mới nhất)` : ''}`;
}

export function init() {
  $('outbox-failed').addEventListener('change', () => load().catch((err) => report(err.message, 'error')));
  $('outbox-reload').addEventListener('click', (e) => busy(e.currentTarget, $('status'), load));
}
