// Accounts: the list, creating one, resetting a password (shown once), turning one off and on.
import { api } from './api.js';
import { $, el, say } from './ui.js';
import { report, busy, td, rowButton, filterRows, confirmed, ROLES } from './admin_common.js';
import * as units from './admin_units.js';

const PASSWORD_MIN = 10;
let me = null;
let resetting = null; // the account whose password is being reset
let list = [];

// Shows a password once, with what to do with it.
function showPassword(text, password) {
  $('password-shown-text').textContent = text;
  $('password-shown-value').textContent = password;
  $('password-shown').hidden = false;
  $('password-shown').scrollIntoView({ block: 'nearest' });
}

function hidePassword() {
  $('password-shown-value').textContent = '';
  $('password-shown').hidden = true;
}

// The choice of a password in a form: {generate:true}, {password}, {} or a problem.
function passwordChoice(radioName, input, allowNone) {
  const how = document.querySelector(`input[name="${radioName}"]:checked`).value;
  if (how === 'generate') return { body: { generate: true } };
  if (how === 'none' && allowNone) return { body: {} };
  if ([...input.value].length < PASSWORD_MIN) {
    return { problem: `Mật khẩu phải có ít nhất ${PASSWORD_MIN} ký tự, hoặc chọn "Tạo ngẫu nhiên".` };
  }
  return { body: { password: input.value } };
}

// Opens the reset form for an account.
function startReset(a) {
  resetting = a;
  $('reset-title').textContent = `Đặt lại mật khẩu cho ${a.login}`;
  $('reset-password').value = '';
  say($('reset-status'), '');
  $('reset-form').hidden = false;
  $('reset-generate').focus();
}

// Turns an account off or on, after asking.
async function toggle(a, button) {
  const disable = !a.disabled;
  const question = disable
    ? `Khóa tài khoản ${a.login}? Người dùng bị đăng xuất ngay và không đăng nhập được cho đến khi được mở lại.`
    : `Mở lại tài khoản ${a.login}?`;
  if (!confirmed(question)) return;
  await busy(button, $('status'), async () => {
    const answer = await api('PUT', `/api/v1/admin/accounts/${encodeURIComponent(a.login)}/disabled`, { disabled: disable });
    await load();
    report(`${a.login}: ${answer.message}`);
  });
}

// Draws the table.
function draw() {
  const body = $('accounts-body');
  body.replaceChildren();
  for (const a of list) {
    const state = a.disabled ? 'Đã khóa' : a.has_password ? 'Đang hoạt động' : 'Chưa có mật khẩu';
    const toggleButton = rowButton(a.disabled ? 'Mở khóa' : 'Khóa',
      `${a.disabled ? 'Mở khóa' : 'Khóa'} tài khoản ${a.login}`, () => toggle(a, toggleButton),
      a.disabled ? 'secondary small' : 'danger small');
    const actions = el('td', { class: 'row-actions' },
      rowButton('Đặt lại mật khẩu', `Đặt lại mật khẩu cho ${a.login}`, () => startReset(a)));
    if (a.login !== me.login) actions.append(toggleButton);
    body.append(el('tr', { id: 'account-' + a.login, class: a.disabled ? 'old' : '' },
      td(a.login, 'code'), td(a.name), td(`${a.unit_name} (${a.unit})`), td(ROLES[a.role] || a.role),
      td(state, a.disabled ? 'bad' : ''), actions));
  }
  filterRows($('accounts-filter'), body);
}

// Fills the choice of units of the creation form.
function fillUnits() {
  const select = $('acc-unit');
  const keep = select.value;
  select.replaceChildren(el('option', { value: '', text: '— Chọn đơn vị —' }));
  for (const u of units.list.filter((x) => x.active)) {
    select.append(el('option', { value: u.code, text: `${u.name} (${u.code})`, selected: u.code === keep }));
  }
}

export async function load() {
  const [doc] = await Promise.all([api('GET', '/api/v1/admin/accounts'),
    units.list.length ? null : units.load()]);
  list = doc.accounts;
  fillUnits();
  draw();
}

export function init(who) {
  me = who;
  $('password-shown-done').addEventListener('click', hidePassword);
  $('accounts-filter').addEventListener('input', () => filterRows($('accounts-filter'), $('accounts-body')));
  for (const r of document.querySelectorAll('input[name="acc-pw"]')) {
    r.addEventListener('change', () => { $('acc-password-field').hidden = !$('acc-pw-typed').checked; });
  }
  for (const r of document.querySelectorAll('input[name="reset-pw"]')) {
    r.addEventListener('change', () => { $('reset-password-field').hidden = !$('reset-typed').checked; });
  }
  $('reset-cancel').addEventListener('click', () => {
    $('reset-form').hidden = true;
    resetting = null;
  });

  $('account-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('account-form-status');
    const login = $('acc-login').value.trim();
    const email = $('acc-email').value.trim();
    const unit = $('acc-unit').value;
    const missing = [[!login, 'acc-login', 'Hãy nhập tên đăng nhập.'],
      [!email, 'acc-email', 'Hãy nhập địa chỉ thư điện tử.'],
      [!unit, 'acc-unit', 'Hãy chọn đơn vị của tài khoản.']].find((m) => m[0]);
    if (missing) {
      say(box, missing[2], 'error');
      $(missing[1]).focus();
      return;
    }
    const pw = passwordChoice('acc-pw', $('acc-password'), true);
    if (pw.problem) {
      say(box, pw.problem, 'error');
      $('acc-password').focus();
      return;
    }
    await busy($('account-create'), box, async () => {
      const answer = await api('POST', '/api/v1/admin/accounts', {
        login, name: $('acc-name').value.trim(), email, unit, role: $('acc-role').value, ...pw.body,
      });
      say(box, '');
      $('account-form').reset();
      $('acc-password-field').hidden = true;
      if (answer.password) showPassword(`${answer.message} Tài khoản: ${login}.`, answer.password);
      else report(`${login}: ${answer.message}`);
      await load();
    });
  });

  $('reset-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('reset-status');
    const pw = passwordChoice('reset-pw', $('reset-password'), false);
    if (pw.problem) {
      say(box, pw.problem, 'error');
      $('reset-password').focus();
      return;
    }
    const login = resetting.login;
    if (!confirmed(`Đặt mật khẩu mới cho ${login}? Mật khẩu cũ hết hiệu lực và người dùng bị đăng xuất.`)) return;
    await busy($('reset-send'), box, async () => {
      const answer = await api('PUT', `/api/v1/admin/accounts/${encodeURIComponent(login)}/password`, pw.body);
      $('reset-form').hidden = true;
      resetting = null;
      if (answer.password) showPassword(`${answer.message} Tài khoản: ${login}.`, answer.password);
      else report(`${login}: ${answer.message}`);
      await load();
    });
  });
}
