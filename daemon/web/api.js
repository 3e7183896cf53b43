// The JSON API as the pages use it: the session cookie, the CSRF header, and the way back to
// the login page when the session is over.

let csrfToken = null;
let clockOffset = 0; // the daemon's clock minus the browser's, in ms

// An answer of the API that is not a success, with the message to show.
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

// The login page's address, bringing the person back to where they are now.
export function loginUrl() {
  const here = location.pathname + location.search + location.hash;
  return '/login.html?next=' + encodeURIComponent(here);
}

// Where to go after logging in: a path of this site only. The browser drops tabs and line
// breaks and reads a backslash as a slash, so "/<TAB>/other.site" would leave the site: such
// characters are refused, and what remains must resolve to this origin.
export function safeNext(next) {
  if (typeof next !== 'string' || !next.startsWith('/') || /[\x00-\x20\\]/.test(next)) {
    return '/';
  }
  let u;
  try {
    u = new URL(next, location.origin);
  } catch (e) {
    return '/';
  }
  if (u.origin !== location.origin || u.pathname === '/login.html') return '/';
  return u.pathname + u.search + u.hash;
}

// The time now by the daemon's clock (deadlines and countdowns follow it).
export function serverNow() {
  return Date.now() + clockOffset;
}

// Reads an answer: JSON on success, an ApiError otherwise (401: off to the login page).
async function settle(res, redirect) {
  let body = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.startsWith('application/json')) {
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
  }
  if (res.ok) return body;
  const err = (body && body.error) || {};
  if (res.status === 401 && redirect) {
    location.assign(loginUrl());
  }
  throw new ApiError(res.status, err.code || 'http_' + res.status,
    err.message || 'Máy chủ trả lời lỗi ' + res.status + '. Hãy thử lại sau ít phút.', body);
}

// Calls the API; body (an object) is sent as JSON, a File or Blob as it is. Options: redirect (default true) sends a
// person whose session is over to the login page.
export async function api(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body instanceof Blob) {
    // A file sent as it is (an import): its own type, else bytes.
    headers['Content-Type'] = body.type || 'application/octet-stream';
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', 'Không kết nối được với máy chủ. Hãy kiểm tra mạng rồi thử lại.');
  }
  return settle(res, options.redirect !== false);
}

// Who is signed in, with the CSRF token and the daemon's clock; the login page if nobody.
export async function loadMe() {
  const me = await api('GET', '/api/v1/me');
  csrfToken = me.csrf_token;
  if (me.now) clockOffset = Date.parse(me.now) - Date.now();
  return me;
}

// Sets the CSRF token (after logging in).
export function setCsrf(token) {
  csrfToken = token;
}

// Logs out and goes to the login page.
export async function logout() {
  try {
    await api('DELETE', '/api/v1/session', undefined, { redirect: false });
  } finally {
    location.assign('/login.html');
  }
}

// Sends a file as the raw body of a PUT, reporting progress (0..1); resolves to
// { status, body } for a receipt (200/201) or the errors (422); rejects with an ApiError.
export function uploadFile(path, file, onProgress,
  type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet') {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', path);
    xhr.setRequestHeader('Content-Type', type);
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network',
      'Mất kết nối trong khi gửi tệp. Hãy kiểm tra mạng rồi gửi lại.')));
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = null;
      }
      if (xhr.status === 200 || xhr.status === 201 || xhr.status === 422) {
        resolve({ status: xhr.status, body });
        return;
      }
      const err = (body && body.error) || {};
      if (xhr.status === 401) location.assign(loginUrl());
      reject(new ApiError(xhr.status, err.code || 'http_' + xhr.status,
        err.message || 'Máy chủ trả lời lỗi ' + xhr.status + '. Hãy thử lại sau ít phút.', body));
    });
    xhr.send(file);
  });
}
