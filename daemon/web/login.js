// The login page: POST /api/v1/session, then back to the page the person wanted.
import { api, ApiError, safeNext } from './api.js';
import { $, say } from './ui.js';

const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'));

if (params.has('next') && next !== '/') {
  say($('why'), 'Phiên đăng nhập đã hết hạn hoặc bạn chưa đăng nhập. Hãy đăng nhập để tiếp tục; hệ thống sẽ đưa bạn về trang đang mở.', 'info');
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const login = $('login').value.trim();
  const password = $('password').value;
  const box = $('login-error');
  if (!login || !password) {
    say(box, 'Hãy nhập tên đăng nhập và mật khẩu.', 'error');
    (login ? $('password') : $('login')).focus();
    return;
  }
  const button = $('login-submit');
  button.disabled = true;
  say(box, '');
  try {
    await api('POST', '/api/v1/session', { login, password }, { redirect: false });
    location.assign(next);
  } catch (err) {
    say(box, err instanceof ApiError ? err.message : 'Không đăng nhập được. Hãy thử lại.', 'error');
    $('password').select();
    $('password').focus();
  } finally {
    button.disabled = false;
  }
});

$('login').focus();
