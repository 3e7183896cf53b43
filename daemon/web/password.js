// Changing one's own password: PUT /api/v1/account/password.
import { api, loadMe, ApiError } from './api.js';
import { $, say, header, pageError } from './ui.js';

const MIN = 10;

// Checks the form before sending; returns the problem and the field, or null.
function problem(current, next, again) {
  if (!current) return ['Hãy nhập mật khẩu hiện tại.', 'current'];
  if ([...next].length < MIN) return [`Mật khẩu mới phải có ít nhất ${MIN} ký tự.`, 'new'];
  if (next !== again) return ['Hai lần nhập mật khẩu mới không giống nhau. Hãy nhập lại.', 'again'];
  return null;
}

async function main() {
  const me = await loadMe();
  header(me);
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
