// The reporter's flow through nginx over HTTPS, in headless Chromium (Debian's chromium driven
// by playwright-core). Usage: node nginx.mjs reporter_https. test_nginx.py starts PostgreSQL,
// baocaod and nginx (a self-signed certificate, hence ignoreHTTPSErrors) and passes: BASE_URL
// (nginx's https address), LOGIN, PASSWORD, ARTEFACTS, WORK, FILL (fill_workbook.py), PAD
// (pad_workbook.py) and UPLOAD_SIZE (bytes of the workbook to send).
// Exit status 0 when the scenario passed; the reason on stderr otherwise.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { BASE, check, clean, env, login, newPage, runScenario, shot } from './common.mjs';

const HTTPS = { contextOptions: { ignoreHTTPSErrors: true } };

// Runs a Python helper of this folder; returns its standard output.
function python(script, ...args) {
  return execFileSync('/usr/bin/python3', [script, ...args], { encoding: 'utf8' });
}

const scenarios = {
  // Log in over HTTPS: the session cookie is the Secure __Host- one; then a workbook of
  // UPLOAD_SIZE bytes passes nginx and is accepted (the receipt).
  async reporter_https(browser) {
    const page = await newPage(browser, undefined, HTTPS);
    await page.goto(BASE + '/');
    await page.waitForURL(/\/login\.html\?next=%2F/);
    check(page.url().startsWith('https://'), 'not on https: ' + page.url());
    await login(page, env.LOGIN, env.PASSWORD);
    await page.waitForSelector('#state:not(:empty)');
    await shot(page, 'nginx-reporter');

    const cookies = await page.context().cookies();
    const session = cookies.filter((c) => /baocao_session$/.test(c.name));
    check(session.length === 1, 'session cookies: ' + JSON.stringify(session));
    const c = session[0];
    check(c.name === '__Host-baocao_session', 'cookie name: ' + c.name);
    check(c.secure && c.httpOnly && c.path === '/' && !c.domain.startsWith('.'),
          'cookie attributes: ' + JSON.stringify(c));

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const template = path.join(env.WORK, 'template.xlsx');
    await download.saveAs(template);
    const filled = path.join(env.WORK, 'filled.xlsx');
    const big = path.join(env.WORK, 'big.xlsx');
    const right = JSON.parse(python(env.FILL, template, filled, 'right'));
    const size = Number(python(env.PAD, filled, big, env.UPLOAD_SIZE));
    check(size === Number(env.UPLOAD_SIZE), 'padded workbook: ' + size);

    await page.setInputFiles('#file', big);
    await page.click('#send');
    await page.waitForSelector('dl.receipt', { timeout: 120000 });
    const receipt = await page.textContent('dl.receipt');
    check(receipt.includes('Đúng hạn') && receipt.includes(String(right.tasks)), 'receipt: ' + receipt);
    await shot(page, 'nginx-receipt');
    clean(page);
  },
};

await runScenario('nginx.mjs', scenarios);
