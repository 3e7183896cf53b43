// One browser scenario against a running baocaod, in headless Chromium (Debian's chromium
// driven by playwright-core). Usage: node run.mjs SCENARIO. test_browser.py starts the
// daemon and PostgreSQL and passes: BASE_URL, LOGIN, PASSWORD, LOGIN2, PASSWORD2,
// ADMIN_TOKEN, ARTEFACTS (screenshots), WORK (downloads), FILL (fill_workbook.py).
// Exit status 0 when the scenario passed; the reason on stderr otherwise.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BASE, PHONE, check, clean, env, expectError, labelled, login as loginAs, newPage,
         refused, runScenario, shot } from './common.mjs';

const SERIES = 'nq57-weekly';

// Logs in (the reporter by default) with the keyboard only.
function login(page, name = env.LOGIN, password = env.PASSWORD) {
  return loginAs(page, name, password);
}

// Fills a downloaded workbook with fill_workbook.py; returns its report.
function fill(src, dst, mode) {
  const out = execFileSync('/usr/bin/python3', [env.FILL, src, dst, mode], { encoding: 'utf8' });
  return JSON.parse(out);
}

const scenarios = {
  // Log in, download the workbook, upload a wrong one (errors with their cells), then a
  // right one (the receipt), at 1366×768 and on a phone.
  async reporter_upload(browser) {
    const page = await newPage(browser);
    await page.goto(BASE + '/');
    await page.waitForURL(/\/login\.html\?next=%2F/);
    await labelled(page);
    await shot(page, 'login');
    await login(page);
    await page.waitForSelector('#state:not(:empty)');
    check((await page.textContent('#state')) === 'Chưa gửi', 'state before any upload: ' + await page.textContent('#state'));
    const deadline = await page.textContent('#deadline');
    check(/Hạn gửi: 11 giờ 00, thứ Sáu, ngày 27\/11\/2026/.test(deadline), 'deadline: ' + deadline);
    check(/^Còn 2 ngày/.test(await page.textContent('#countdown')), 'countdown: ' + await page.textContent('#countdown'));
    await labelled(page);
    await shot(page, 'reporter');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const template = path.join(env.WORK, 'template.xlsx');
    await download.saveAs(template);
    check(/\.xlsx$/.test(download.suggestedFilename()), 'download name: ' + download.suggestedFilename());

    const wrong = fill(template, path.join(env.WORK, 'wrong.xlsx'), 'wrong');
    await page.setInputFiles('#file', path.join(env.WORK, 'wrong.xlsx'));
    expectError(page, refused(422, '/submission'));
    await page.click('#send');
    await page.waitForSelector('table.errors');
    const cells = await page.$$eval('table.errors td.cell', (tds) => tds.map((td) => td.textContent));
    for (const c of wrong.cells) check(cells.includes(c), `no error at ${c}: ${cells.join(', ')}`);
    const sheets = await page.$$eval('table.errors tbody td:first-child', (tds) => tds.map((td) => td.textContent));
    check(sheets.every((s) => s === 'Báo cáo'), 'sheets: ' + sheets.join(', '));
    check((await page.textContent('#state')) === 'Chưa gửi', 'a refused upload changed the state');
    await shot(page, 'reporter-errors');

    const right = fill(template, path.join(env.WORK, 'right.xlsx'), 'right');
    await page.setInputFiles('#file', path.join(env.WORK, 'right.xlsx'));
    await page.click('#send');
    await page.waitForSelector('dl.receipt');
    const receipt = await page.textContent('dl.receipt');
    check(receipt.includes('Đúng hạn') && receipt.includes(String(right.tasks)), 'receipt: ' + receipt);
    await page.waitForFunction(() => document.querySelector('#state').textContent === 'Đã gửi đúng hạn');
    check((await page.$$('#versions-body tr')).length === 1, 'versions after one upload');
    await shot(page, 'reporter-receipt');

    // The same workbook (week 48's) sent from the page of week 47: it goes to week 48, and the
    // page says so.
    await page.goto(BASE + `/?series=${SERIES}&period=2026-W47`);
    await page.waitForSelector('#versions:not([hidden])');
    await page.setInputFiles('#file', path.join(env.WORK, 'right.xlsx'));
    await page.click('#send');
    await page.waitForSelector('dl.receipt');
    const went = await page.textContent('#upload-status');
    check(/^Biểu mẫu của tuần 48 năm 2026 \(23\/11\/2026 - 29\/11\/2026\) — đã gửi vào kỳ đó/.test(went), 'elsewhere: ' + went);
    check((await page.getAttribute('#upload-status a', 'href')).endsWith('period=2026-W48'), 'no link to week 48');
    check((await page.$$('#versions-body tr')).length === 0, 'week 47 got a version');
    await shot(page, 'reporter-elsewhere');
    await page.goto(BASE + '/');

    const phone = await newPage(browser, PHONE);
    await phone.context().addCookies(await page.context().cookies());
    await phone.goto(BASE + '/');
    await phone.waitForSelector('#versions-body tr');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the phone page scrolls sideways by ${overflow}px`);
    await shot(phone, 'reporter-phone');
    clean(page);
    clean(phone);
  },

  // The unit's document beside the workbook: a PDF with JavaScript refused with what to do,
  // then a plain one accepted, shown with its state and size, and downloaded back.
  async reporter_document(browser) {
    const page = await newPage(browser);
    await page.goto(BASE + '/');
    await login(page);
    await page.waitForSelector('#doc-state');
    await page.waitForFunction(() => document.querySelector('#state').textContent !== '');
    check((await page.textContent('#doc-state')) === 'Chưa có văn bản', 'document before: ' + await page.textContent('#doc-state'));
    const tail = 'xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n';
    const bad = path.join(env.WORK, 'co-ma-lenh.pdf');
    writeFileSync(bad, '%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n' + tail);
    await page.setInputFiles('#doc-file', bad);
    expectError(page, refused(422, '/submission/document'));
    await page.click('#doc-send');
    await page.waitForFunction(() => /JavaScript/.test(document.querySelector('#doc-status').textContent));
    check((await page.getAttribute('#doc-status', 'class')).includes('error'), 'the refusal is not shown as an error');
    const good = path.join(env.WORK, 'van-ban-bao-cao.pdf');
    writeFileSync(good, '%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n% ' + 'x'.repeat(3000) + '\n' + tail);
    await page.setInputFiles('#doc-file', good);
    check(/van-ban-bao-cao\.pdf \(4 KiB\)/.test(await page.textContent('#doc-file-name')), 'chosen: ' + await page.textContent('#doc-file-name'));
    await page.click('#doc-send');
    await page.waitForFunction(() => /^Đã có văn bản/.test(document.querySelector('#doc-state').textContent));
    const state = await page.textContent('#doc-state');
    check(/không có chữ ký số/.test(state) && /4 KiB/.test(state), 'document state: ' + state);
    check(/Đã gửi văn bản \(4 KiB\), kèm phiên bản báo cáo số 1/.test(await page.textContent('#doc-status')), 'status: ' + await page.textContent('#doc-status'));
    await labelled(page);
    await shot(page, 'reporter-document');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#doc-link')]);
    check(/^van-ban-nq57-weekly-.*-STC-v1\.pdf$/.test(download.suggestedFilename()), 'download name: ' + download.suggestedFilename());
    clean(page);
  },

  // The report as a form: errors next to their fields, then the receipt.
  async form(browser) {
    const page = await newPage(browser);
    await page.goto(BASE + '/form.html');
    await login(page);
    await page.waitForSelector('#tasks fieldset');
    await labelled(page);
    const n = (await page.$$('#tasks fieldset')).length;
    check(n >= 2, 'tasks in the form: ' + n);
    for (let i = 0; i < n; i++) {
      await page.selectOption(`#f-${i}-status`, 'in_progress');
      await page.fill(`#f-${i}-progress`, '40');
      await page.fill(`#f-${i}-result`, 'Kết quả nhập trên trang');
    }
    await page.fill('#f-0-progress', '150');
    await page.selectOption('#f-1-status', 'done');
    await page.fill('#f-1-completed_on', '');
    await shot(page, 'form');
    expectError(page, refused(422, '/submission'));
    await page.click('#submit');
    await page.waitForSelector('#e-0-progress:not([hidden])');
    check(/Tiến độ/.test(await page.textContent('#e-0-progress')), 'progress error: ' + await page.textContent('#e-0-progress'));
    check(!(await page.isHidden('#e-1-completed_on')), 'no error next to the missing completion date');
    check((await page.getAttribute('#f-0-progress', 'aria-invalid')) === 'true', 'progress not marked invalid');
    check(await page.isVisible('#summary'), 'no summary of the errors');
    await shot(page, 'form-errors');
    await page.fill('#f-0-progress', '45');
    await page.fill('#f-1-progress', '100');
    await page.fill('#f-1-completed_on', '2026-11-24');
    await page.click('#submit');
    await page.waitForSelector('dl.receipt');
    check(await page.isHidden('#summary'), 'the summary stayed');
    await shot(page, 'form-receipt');
    await page.goto(BASE + '/');
    await page.waitForSelector('#versions-body tr');
    const first = await page.textContent('#versions-body tr:first-child');
    check(first.includes('Biểu mẫu trên trang'), 'the form\'s version: ' + first);
    clean(page);
  },

  // Changing one's password: a wrong current one, a short new one, then a right change that
  // ends the account's other session and lists the account's API token, which is revoked.
  async password(browser) {
    const other = await newPage(browser);
    await other.goto(BASE + '/');
    await login(other, env.LOGIN2, env.PASSWORD2);
    await other.waitForSelector('#state:not(:empty)');

    const page = await newPage(browser, undefined, { onDialog: (d) => d.accept() });
    await page.goto(BASE + '/password.html');
    await login(page, env.LOGIN2, env.PASSWORD2);
    await page.waitForSelector('#who:not(:empty)');
    await labelled(page);
    await page.fill('#current', 'khong-dung-mat-khau');
    await page.fill('#new', 'mat khau moi du dai');
    await page.fill('#again', 'mat khau moi du dai');
    expectError(page, refused(403, '/api/v1/account/password'));
    await page.click('#password-submit');
    await page.waitForSelector('#password-status:not([hidden])');
    check(/hiện tại không đúng/.test(await page.textContent('#password-status')), 'wrong current: ' + await page.textContent('#password-status'));
    await page.fill('#current', env.PASSWORD2);
    await page.fill('#new', 'ngan');
    await page.fill('#again', 'ngan');
    await page.click('#password-submit');
    check(/ít nhất 10 ký tự/.test(await page.textContent('#password-status')), 'short: ' + await page.textContent('#password-status'));
    const next = 'Hà Tĩnh mùa lúa chín 2026';
    await page.fill('#new', next);
    await page.fill('#again', next);
    await page.click('#password-submit');
    await page.waitForFunction(() => /Đã đổi mật khẩu/.test(document.querySelector('#password-status').textContent));
    await page.waitForSelector('#tokens:not([hidden])');
    const rows = await page.$$eval('#tokens-body tr', (trs) => trs.map((tr) => tr.textContent));
    check(rows.length === 1 && rows[0].includes('Máy gửi tự động') && rows[0].includes('không hết hạn'), 'tokens: ' + rows);
    await labelled(page);
    await shot(page, 'password');
    const token = { headers: { Authorization: 'Bearer ' + env.TOKEN2 } };
    check((await fetch(BASE + '/api/v1/me', token)).status === 200, 'the token works before');
    await page.click('#tokens-revoke');
    await page.waitForFunction(() => /Đã thu hồi/.test(document.querySelector('#tokens-status').textContent));
    check((await page.$$('#tokens-body tr')).length === 0, 'the list is emptied');
    check((await fetch(BASE + '/api/v1/me', token)).status === 401, 'the revoked token still works');
    // This session goes on; the other one is over and lands on the login page.
    await page.goto(BASE + '/');
    await page.waitForSelector('#state:not(:empty)');
    await other.reload();
    await other.waitForURL(/\/login\.html\?next=/);
    await login(other, env.LOGIN2, next);
    await other.waitForSelector('#state:not(:empty)');
    clean(page);
    clean(other);
  },

  // A session that ran out: the login page, then back to the page the person wanted.
  async expired_session(browser) {
    const page = await newPage(browser);
    const wanted = `/form.html?series=${SERIES}&period=2026-W48`;
    await page.goto(BASE + wanted);
    await login(page);
    await page.waitForSelector('#tasks fieldset');
    // The daemon's clock moves past the idle timeout (5 min in this test's configuration).
    const res = await fetch(BASE + '/api/v1/testing/clock', {
      method: 'PUT', headers: { Authorization: 'Bearer ' + env.ADMIN_TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ now: '2026-11-25T09:20:00+07:00' }),
    });
    check(res.ok, 'moving the clock: ' + res.status);
    await page.reload();
    await page.waitForURL(/\/login\.html\?next=/);
    check(new URL(page.url()).searchParams.get('next') === wanted, 'next: ' + page.url());
    check(/hết hạn/.test(await page.textContent('#why')), 'no word about the session');
    await shot(page, 'login-expired');
    await login(page);
    await page.waitForSelector('#tasks fieldset');
    const here = new URL(page.url());
    check(here.pathname + here.search === wanted, 'back at ' + page.url());
    // After logging in, "next" leads only within the site, whatever the browser would make of it.
    const nexts = await page.evaluate(async () => {
      const m = await import('/api.js');
      return ['/\t/evil.example', '/\n/evil.example', '/\\evil.example', '//evil.example',
              'https://evil.example/', '/login.html?next=/x', '/form.html?a=1#b']
        .map((n) => m.safeNext(n));
    });
    check(JSON.stringify(nexts) === JSON.stringify(['/', '/', '/', '/', '/', '/', '/form.html?a=1#b']),
          'next: ' + JSON.stringify(nexts));
    clean(page);
  },

  // The pages' own calls without the CSRF header, or with a wrong one, are refused (403).
  async csrf(browser) {
    const page = await newPage(browser);
    await page.goto(BASE + '/password.html');
    await login(page);
    await page.waitForSelector('#who:not(:empty)');
    expectError(page, refused(403, '/api/v1/account/password'), 2);
    expectError(page, refused(403, '/api/v1/session'));
    const result = await page.evaluate(async () => {
      const mod = await import('/api.js');
      const out = {};
      const raw = await fetch('/api/v1/account/password', {
        method: 'PUT', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ current: 'x', new: 'y' }),
      });
      out.missing = [raw.status, (await raw.json()).error.code];
      mod.setCsrf('khong-phai-ma-that-0123456789abcdef0123456789');
      try {
        await mod.api('PUT', '/api/v1/account/password', { current: 'x', new: 'y' });
        out.wrong = ['accepted'];
      } catch (e) {
        out.wrong = [e.status, e.code, e.message];
      }
      try {
        await mod.api('DELETE', '/api/v1/session', undefined, { redirect: false });
        out.logout = ['accepted'];
      } catch (e) {
        out.logout = [e.status, e.code];
      }
      return out;
    });
    check(result.missing[0] === 403 && result.missing[1] === 'csrf', 'without the header: ' + result.missing);
    check(result.wrong[0] === 403 && result.wrong[1] === 'csrf', 'with a wrong one: ' + result.wrong);
    check(/tải lại trang/.test(result.wrong[2]), 'the message says what to do: ' + result.wrong[2]);
    check(result.logout[0] === 403, 'log out with a wrong token: ' + result.logout);
    // The session still works for the page itself.
    await page.goto(BASE + '/');
    await page.waitForSelector('#state:not(:empty)');
    clean(page);
  },
};

await runScenario('run.mjs', scenarios);
