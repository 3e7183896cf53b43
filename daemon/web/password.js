// Changing one's own password: PUT /api/v1/account/password.
import { api, loadMe, ApiError } from './api.js';
import { $, el, say, header, pageError, timeShort } from './ui.js';

const MIN = 10;

// Checks the form before sending; returns the problem and the field, or null.
function problem(current, next, again) {
  if (!current) return ['Hãy nhập mật khẩu hiện tại.', 'current'];
  if ([...next].length < MIN) return [`Mật khẩu mới phải có ít nhất ${MIN} ký tự.`, 'new'];
  if (next !== again) return ['Hai lần nhập mật khẩu mới không giống nhau. Hãy nhập lại.', 'again'];
  return null;
}

// Shows the account's live API tokens with the button that revokes them; none: hidden.
function showTokens(tokens) {
  const section = $('tokens');
  const body = $('tokens-body');
  body.replaceChildren(...(tokens || []).map((t) => el('tr', {},
    el('td', { text: String(t.id) }), el('td', { text: t.label || '—' }),
    el('td', { text: t.created_at ? timeShort(t.created_at) : '—' }),
    el('td', { text: t.last_used_at ? timeShort(t.last_used_at) : 'chưa dùng' }),
    el('td', { text: t.expires_at ? timeShort(t.expires_at) : 'không hết hạn' }))));
  section.hidden = !(tokens && tokens.length);
}

// Revokes every API token of the account, after a confirmation.
async function revokeTokens() {
  const box = $('tokens-status');
  if (!window.confirm('Thu hồi tất cả mã truy cập (API token) của tài khoản? Các chương trình đang dùng chúng sẽ không gửi được báo cáo cho đến khi có mã mới.')) return;
  const button = $('tokens-revoke');
  button.disabled = true;
  try {
    const answer = await api('POST', '/api/v1/account/tokens/revoke', { all: true });
    $('tokens-body').replaceChildren();
    say(box, answer.message, 'ok');
    button.hidden = true;
  } catch (err) {
    say(box, err.message, 'error');
  } finally {
    button.disabled = false;
  }
}

async function main() {
  const me = await loadMe();
  header(me);
  $('tokens-revoke').addEventListener('click', () => revokeTokens().catch(pageError));
  $('password-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('password-status');
    const current = $('current').value;
    const next = $('new').value;
    const p = problem(current, next, $('again').value);
    if (p) {
      say(box, p[0], 'error');
      $(p[1]).focus();
      return;
    }
    const button = $('password-submit');
    button.disabled = true;
    try {
      const answer = await api('PUT', '/api/v1/account/password', { current, new: next });
      say(box, answer.message + ' Lần đăng nhập sau, hãy dùng mật khẩu mới.', 'ok');
      $('password-form').reset();
      showTokens(answer.tokens);
    } catch (err) {
      say(box, err.message, 'error');
      if (err instanceof ApiError && err.code === 'wrong_password') $('current').focus();
      else if (err instanceof ApiError && err.code === 'weak_password') $('new').focus();
    } finally {
      button.disabled = false;
    }
  });
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return;
  pageError(err);
});
