// The reporter's page on a cold cache under throttled networks (see run). Prints a table.
import { createRequire } from 'node:module';
import path from 'node:path';

// playwright-core lives in tests/browser/node_modules (the working directory).
const require = createRequire(path.join(process.cwd(), 'package.json'));
const { chromium } = require('playwright-core');

const env = process.env;
const RUNS = Number(env.RUNS || 5);
// Throughputs in bytes/s; latency added to every request, in ms.
const PROFILES = [
  // WebPageTest's "3G Slow": 400 kbit/s each way, 400 ms round trip.
  { name: 'slow 3G (WebPageTest 3GSlow: 400 ms, 400/400 kbit/s)', latency: 400, down: 50000, up: 50000 },
  // Chrome DevTools' "Slow 3G": 2 s round trip, 400 kbit/s (500 × 0.8).
  { name: 'DevTools "Slow 3G" (2000 ms, 400/400 kbit/s)', latency: 2000, down: 50000, up: 50000 },
  { name: 'no throttling (loopback)', latency: 0, down: -1, up: -1 },
];

// One cold load: a new context (empty cache) with the session cookie, throttled.
async function load(browser, profile, cookies) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await context.addCookies(cookies);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: profile.latency, downloadThroughput: profile.down,
    uploadThroughput: profile.up,
  });
  const urls = new Map();
  let bytes = 0;
  let staticBytes = 0;
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    if (!(urls.get(e.requestId) || '').includes('/api/')) staticBytes += e.encodedDataLength;
  });
  const started = Date.now();
  await page.goto(env.BASE_URL + '/', { waitUntil: 'commit' });
  await page.waitForSelector('#versions:not([hidden])', { timeout: 60000 });
  const interactive = Date.now() - started;
  await page.waitForLoadState('networkidle');
  const requests = urls.size;
  await context.close();
  return { interactive, bytes, staticBytes, requests };
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const login = await browser.newContext();
  const res = await login.request.post(env.BASE_URL + '/api/v1/session', {
    data: { login: env.LOGIN, password: env.PASSWORD },
  });
  if (res.status() !== 201) throw new Error('login: ' + res.status());
  const cookies = await login.cookies();
  await login.close();
  console.log('| network | runs | usable after (median, min–max) | bytes transferred (pages + API) | of which pages | requests |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const profile of PROFILES) {
    const results = [];
    for (let i = 0; i < RUNS; i++) results.push(await load(browser, profile, cookies));
    const t = results.map((r) => r.interactive).sort((a, b) => a - b);
    const median = t[Math.floor(t.length / 2)];
    const r0 = results[0];
    console.log(`| ${profile.name} | ${RUNS} | ${(median / 1000).toFixed(2)} s (${(t[0] / 1000).toFixed(2)}–${(t[t.length - 1] / 1000).toFixed(2)}) | ${(r0.bytes / 1024).toFixed(1)} KiB | ${(r0.staticBytes / 1024).toFixed(1)} KiB | ${r0.requests} |`);
  }
} finally {
  await browser.close();
}
