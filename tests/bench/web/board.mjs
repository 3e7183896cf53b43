// The coordinator's board with thousands of units (see board): render, filter, search, refresh.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const { chromium } = require('playwright-core');

const env = process.env;
const RUNS = Number(env.RUNS || 5);

// Runs fn in the page and returns the milliseconds until the next frame has been painted.
const timed = (page, fn) => page.evaluate(`(async () => {
  const t0 = performance.now();
  (${fn})();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
})()`);

// One load of the board and its interactions, in a fresh context with the session cookie.
async function run(browser, cookies) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await context.addCookies(cookies);
  const page = await context.newPage();
  let statusBytes = 0;
  page.on('response', async (r) => {
    if (r.url().includes('/status')) statusBytes = Number(r.headers()['content-length'] || (await r.body()).length);
  });
  const t0 = Date.now();
  await page.goto(env.BASE_URL + '/board.html', { waitUntil: 'commit' });
  await page.waitForFunction(() => performance.getEntriesByName('board-shown').length > 0 &&
    document.querySelector('#board [role="row"][data-unit]') !== null, null, { timeout: 60000 });
  const made = await page.$$eval('#board [role="row"][data-unit]', (r) => r.length);
  if (!/^Đang hiện \d+ trên /.test(await page.textContent('#shown')) || made < 50) throw new Error('board not shown: ' + made + ' rows');
  const shown = Date.now() - t0;
  const mark = await page.evaluate(() => {
    const m = performance.getEntriesByName('board-shown')[0];
    return m ? m.startTime : null;
  });
  const filter = await timed(page, () => {
    const r = document.querySelector('input[value="missing"]');
    r.checked = true;
    r.dispatchEvent(new Event('change'));
  });
  const all = await timed(page, () => {
    const r = document.querySelector('input[value="all"]');
    r.checked = true;
    r.dispatchEvent(new Event('change'));
  });
  const search = await timed(page, () => {
    const s = document.querySelector('#search');
    s.value = 'nghiem 012';
    s.dispatchEvent(new Event('input'));
  });
  const clear = await timed(page, () => {
    const s = document.querySelector('#search');
    s.value = '';
    s.dispatchEvent(new Event('input'));
  });
  // A jump to the middle of the board: its rows are made when their block comes near the screen.
  const middle = await page.evaluate(`(async () => {
    const t0 = performance.now();
    const box = document.querySelector('#board').getBoundingClientRect();
    window.scrollTo(0, window.scrollY + box.top + box.height / 2);
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => requestAnimationFrame(r));
      const hit = document.elementFromPoint(683, 384);
      if (hit && hit.closest('[data-unit]')) return performance.now() - t0;
    }
    throw new Error('no row in the middle of the board');
  })()`);
  await page.evaluate(() => window.scrollTo(0, 0));
  const before = await page.textContent('#updated');
  const t1 = Date.now();
  await page.click('#refresh');
  await page.waitForFunction((b) => document.querySelector('#updated').textContent !== b, before);
  const refresh = Date.now() - t1;
  await context.close();
  return { shown, mark, filter, all, search, clear, middle, refresh, statusBytes };
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const login = await browser.newContext();
  const res = await login.request.post(env.BASE_URL + '/api/v1/session', { data: { login: env.LOGIN, password: env.PASSWORD } });
  if (res.status() !== 201) throw new Error('login: ' + res.status());
  const cookies = await login.cookies();
  await login.close();
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await run(browser, cookies));
  const median = (k) => {
    const v = results.map((r) => r[k]).sort((a, b) => a - b);
    return `${Math.round(v[Math.floor(v.length / 2)])} ms (${Math.round(v[0])}–${Math.round(v[v.length - 1])})`;
  };
  console.log(`units: ${env.UNITS}, runs: ${RUNS}, status answer: ${(results[0].statusBytes / 1024).toFixed(0)} KiB (uncompressed JSON)`);
  console.log('| step | median (min–max) |');
  console.log('|---|---:|');
  console.log(`| navigation → board shown (counts, the rows on screen) | ${median('shown')} |`);
  console.log(`| of which: page start → status fetched, rows on screen built (performance mark) | ${median('mark')} |`);
  console.log(`| filter "chưa gửi" (every row missing: all shown) → painted | ${median('filter')} |`);
  console.log(`| filter back to "tất cả" → painted | ${median('all')} |`);
  console.log(`| search "nghiem 012" → painted | ${median('search')} |`);
  console.log(`| search cleared → painted | ${median('clear')} |`);
  console.log(`| jump to the middle of the board → its rows made and painted | ${median('middle')} |`);
  console.log(`| "Cập nhật ngay" (status fetched again, no row changed) | ${median('refresh')} |`);
} finally {
  await browser.close();
}
