// The administrators' page in headless Chromium against a running baocaod (test_admin_browser.py
// starts it). Usage: node admin.mjs admin|admin_phone. Environment: BASE_URL, ADMIN_LOGIN,
// ADMIN_PASSWORD, ARTEFACTS (screenshots), TASKS_FILE (a task table that changes the catalogue),
// FAILED_ID (a failed message of the outbox). Exit status 0 when the scenario passed.
import { BASE, DESKTOP, PHONE, axeCheck, check, clean, env, expectError, labelled,
         login as loginAs, newPage as open, refused, restartShift, runScenario, shot,
         stable } from './common.mjs';

const asked = []; // the confirmations the page asked for

// A page that accepts confirmations, keeping what they asked.
function newPage(browser, viewport = DESKTOP) {
  return open(browser, viewport, {
    onDialog: async (d) => {
      asked.push(d.message());
      await d.accept();
    },
  });
}

// Logs in with the keyboard only; a refused login stays on the login page.
function login(page, name, password) {
  return loginAs(page, name, password, false);
}

// Whether the page's status line comes to say words (it may still show the last message).
async function says(page, words, selector = '#status') {
  try {
    await page.waitForFunction(([sel, w]) => {
      const box = document.querySelector(sel);
      return !box.hidden && box.textContent.includes(w);
    }, [selector, words], { timeout: 15000 });
    return true;
  } catch (e) {
    console.error(`status: ${await page.textContent(selector)}`);
    return false;
  }
}

// A screenshot of the page after the admin's changes: axe-core finds no violation. The layout
// shift is checked when each section has loaded (stable, measured from the click on its tab);
// a change saved moves what is below the form it closes, and the message comes at the top.
async function after(page, name) {
  await axeCheck(page, name);
  await shot(page, name, true, false);
}

// The page's content fits the width of the screen (tables scroll in their own box).
async function fits(page) {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().right > window.innerWidth + 1)
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`).slice(0, 8));
  check(over <= 1, `the page is ${over}px wider than the screen: ${wide.join(', ')}`);
}

const scenarios = {
  async admin(browser) {
    const page = await newPage(browser);
    await page.goto(BASE + '/admin.html#don-vi');
    await login(page, env.ADMIN_LOGIN, env.ADMIN_PASSWORD);
    await page.waitForURL(/\/admin\.html/);
    await page.waitForSelector('#unit-STC');
    await labelled(page);
    await stable(page, 'the units');

    // Units: the head of Sở Tài chính gets a new address.
    await page.click('#unit-STC button');
    check(await page.inputValue('#unit-name') === 'Sở Tài chính', 'the form opens on the unit');
    await page.fill('#unit-emails', 'head:giamdoc@stc.hatinh.gov.vn\nvanthu@stc.hatinh.gov.vn');
    // Its webhook: an address that is not https:// is refused, saying what to write.
    check((await page.textContent('#unit-webhook-hint')).includes('chưa có khóa ký'), 'no secret yet');
    await page.fill('#unit-webhook', 'http://thongbao.stc.hatinh.gov.vn/baocao');
    expectError(page, refused(422, '/api/v1/admin/units/STC'));
    await page.click('#unit-save');
    check(await says(page, 'https://', '#unit-form-status'), 'a webhook without https refused');
    await page.waitForSelector('#unit-save:not([disabled])');
    await page.fill('#unit-webhook', 'https://thongbao.stc.hatinh.gov.vn/baocao');
    await shot(page, 'admin-unit-webhook');
    await page.click('#unit-save');
    check(await says(page, 'Đã lưu thông tin đơn vị'), 'unit saved');
    await page.waitForFunction(() => document.querySelector('#unit-STC').textContent.includes('giamdoc@stc.hatinh.gov.vn'));
    const unitRow = await page.textContent('#unit-STC');
    check(unitRow.includes('thủ trưởng') && !unitRow.includes('null'), 'the head is marked: ' + unitRow);
    check(unitRow.includes('webhook: thongbao.stc.hatinh.gov.vn') && unitRow.includes('chưa có khóa ký'),
      'the webhook is shown, without a secret yet: ' + unitRow);
    await page.fill('#units-filter', 'tài chính');
    await after(page, 'admin-units');
    await page.fill('#units-filter', '');

    // Accounts: create one with a generated password, which logs in.
    await restartShift(page);
    await page.click('#tab-accounts');
    await page.waitForSelector('#account-quantri');
    await stable(page, 'the accounts');
    await page.fill('#acc-login', 'stc.moi');
    await page.fill('#acc-name', 'Trần Văn Mới');
    await page.fill('#acc-email', 'moi@stc.hatinh.gov.vn');
    await page.selectOption('#acc-unit', 'STC');
    await page.selectOption('#acc-role', 'reporter');
    await page.click('#account-create');
    await page.waitForSelector('#password-shown:not([hidden])');
    const first = (await page.textContent('#password-shown-value')).trim();
    check(first.length >= 10, 'a generated password is shown: ' + first);
    await page.waitForSelector('#account-stc\\.moi');
    await page.click('#password-shown-done');
    check(await page.textContent('#password-shown-value') === '', 'the password is hidden again');

    const user = await newPage(browser);
    await user.goto(BASE + '/');
    await login(user, 'stc.moi', first);
    await user.waitForSelector('#state:not(:empty)');

    // Reset it to a typed one: the user's session ends, the new password works.
    await page.click('#account-stc\\.moi button:has-text("Đặt lại mật khẩu")');
    await page.check('#reset-typed');
    await page.fill('#reset-password', 'mat-khau-moi-2026');
    await page.click('#reset-send');
    check(await says(page, 'Đã đặt mật khẩu mới'), 'password reset');
    check(asked.some((q) => q.includes('Đặt mật khẩu mới cho stc.moi')), 'the reset was confirmed');
    await user.reload();
    expectError(user, refused(401, '/api/v1/session'));
    await login(user, 'stc.moi', first);
    await user.waitForSelector('#login-error:not([hidden])');
    await user.fill('#password', 'mat-khau-moi-2026');
    await user.press('#password', 'Enter');
    await user.waitForSelector('#state:not(:empty)');
    clean(user);

    // Disable it: refused at the next login.
    await page.click('#account-stc\\.moi button:has-text("Khóa")');
    check(await says(page, 'Đã khóa tài khoản'), 'account disabled');
    await page.waitForFunction(() => document.querySelector('#account-stc\\.moi').textContent.includes('Đã khóa'));
    check(asked.some((q) => q.startsWith('Khóa tài khoản stc.moi')), 'the disable was confirmed');
    await user.reload();
    await login(user, 'stc.moi', 'mat-khau-moi-2026');
    await user.waitForSelector('#login-error:not([hidden])');
    await labelled(page);
    await after(page, 'admin-accounts');

    // Tasks: preview what the table changes, then apply it.
    await page.click('#tab-tasks');
    await page.waitForSelector('#tasks-series option', { state: 'attached' });
    await page.selectOption('#tasks-series', 'nq57-weekly');
    await page.setInputFiles('#tasks-file', env.TASKS_FILE);
    await page.click('#tasks-preview');
    await page.waitForSelector('#tasks-apply');
    const preview = await page.textContent('#tasks-result');
    check(preview.includes('Thêm mới (1)') && preview.includes('NQ57-99'), 'preview: ' + preview);
    check(preview.includes('(không còn trong tệp) (1)') && preview.includes('NQ57-19'), 'preview: ' + preview);
    check(!preview.includes('null'), 'preview: ' + preview);
    await labelled(page);
    await after(page, 'admin-tasks-preview');
    await page.click('#tasks-apply');
    check(await says(page, 'Đã nhập'), 'tasks imported');
    check(!(await page.isVisible('#tasks-apply')), 'nothing left to apply');

    // Calendar: a holiday on Friday 27/11 moves the week's deadline to Thursday.
    await restartShift(page);
    await page.click('#tab-calendar');
    await page.waitForSelector('#per-series option', { state: 'attached' });
    await page.selectOption('#per-series', 'nq57-weekly');
    await page.waitForSelector('#period-2026-W48');
    check((await page.textContent('#period-2026-W48')).includes('thứ Sáu, ngày 27/11/2026'), 'W48 before');
    await stable(page, 'the calendar');
    await page.fill('#cal-day', '2026-11-27');
    await page.selectOption('#cal-kind', 'holiday');
    await page.fill('#cal-note', 'Nghỉ thử nghiệm');
    await page.click('#cal-add');
    await page.waitForSelector('#day-2026-11-27');
    await page.waitForFunction(() => document.querySelector('#period-2026-W48').textContent.includes('thứ Năm, ngày 26/11/2026'));

    // Override the next week's deadlines.
    await page.click('#period-2026-W49 button');
    await page.fill('#ov-unit', '2026-12-07T09:00');
    await page.fill('#ov-cons', '2026-12-07T16:00');
    await page.fill('#ov-note', 'Lùi hạn do mưa bão');
    await page.click('#ov-save');
    check(await says(page, 'Đã ấn định hạn mới'), 'override saved');
    await page.waitForFunction(() => document.querySelector('#period-2026-W49').textContent.includes('thứ Hai, ngày 07/12/2026'));
    check((await page.textContent('#period-2026-W49')).includes('hạn ấn định'), 'the override is marked');
    await labelled(page);
    await after(page, 'admin-calendar');

    // Outbox: the failed message goes again.
    await restartShift(page);
    await page.click('#tab-outbox');
    await page.check('#outbox-failed');
    const row = `#message-${env.FAILED_ID}`;
    await page.waitForSelector(row);
    check((await page.textContent(row)).includes('550'), 'the last error is shown');
    await shot(page, 'admin-outbox');
    await page.click(`${row} button`);
    check(await says(page, 'Đã đưa thư vào hàng đợi'), 'retried');
    await page.uncheck('#outbox-failed');
    await page.waitForFunction((sel) => {
      const tr = document.querySelector(sel);
      return tr && !tr.querySelector('button');
    }, row);
    clean(page);
  },

  // The accounts and the calendar at phone width: usable, nothing wider than the screen.
  async admin_phone(browser) {
    const page = await newPage(browser, PHONE);
    await page.goto(BASE + '/admin.html#tai-khoan');
    await login(page, env.ADMIN_LOGIN, env.ADMIN_PASSWORD);
    await page.waitForSelector('#account-quantri');
    await fits(page);
    await shot(page, 'admin-phone-accounts');
    await page.click('#tab-calendar');
    await page.waitForSelector('#periods-body tr');
    await fits(page);
    await shot(page, 'admin-phone-calendar');
    clean(page);
  },
};

await runScenario('admin.mjs', scenarios);
