// What the browser scenarios share: Chromium started as the tests start it, pages that fail
// the scenario on any script error, console error or refused resource, screenshots that first
// check the page (axe-core: no accessibility violation; the layout shift score at most 0.1),
// keyboard login, the label check, and running one scenario by name with screenshots of every
// page on failure.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const env = process.env;
export const BASE = env.BASE_URL;
export const DESKTOP = { width: 1366, height: 768 };
export const PHONE = { width: 390, height: 844 };
const opened = []; // every page, for the screenshots of a failure

// Fails the scenario with a message.
export function check(cond, message) {
  if (!cond) throw new Error(message);
}

const AXE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', 'axe-core', 'axe.min.js');
const MAX_CLS = 0.1;
let axeSource = null;

// Saves a screenshot into ARTEFACTS: the whole page, or with fullPage false what the window
// shows; first checks the page as it is (axeCheck, stable) unless check is false.
export async function shot(page, name, fullPage = true, check = true) {
  if (check) {
    await stable(page, name);
    await axeCheck(page, name);
  }
  mkdirSync(env.ARTEFACTS, { recursive: true });
  await page.screenshot({ path: path.join(env.ARTEFACTS, name + '.png'), fullPage });
}

// Fails when axe-core finds an accessibility violation on the page as it is now.
export async function axeCheck(page, name = page.url()) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    // Evaluated, not added as a script element: the pages' CSP refuses inline scripts.
    axeSource = axeSource || readFileSync(AXE, 'utf8');
    await page.evaluate(axeSource);
  }
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n` +
      v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`).join('\n'));
  });
  check(found.length === 0, `accessibility of ${name}:\n  ` + found.join('\n  '));
}

// Fails when the page's layout has shifted by more than 0.1 since it loaded (the cumulative
// layout shift as browsers report it: the largest burst of shifts not caused by the person).
export async function stable(page, name = page.url()) {
  const cls = await page.evaluate(() => window.__layoutShift && window.__layoutShift());
  check(cls !== undefined && cls !== null, `no layout shift measure on ${name}`);
  check(cls.score <= MAX_CLS, `layout shift of ${name}: ${cls.score.toFixed(3)} > ${MAX_CLS}: ${cls.worst}`);
}

// Runs in every page before its scripts: sums the layout shifts not caused by input, in
// bursts (a burst ends after 1 s without a shift or at 5 s), keeping the largest burst and the
// elements that moved most, for stable().
function measureLayoutShift() {
  let score = 0;
  let burst = 0;
  let first = 0;
  let last = 0;
  let worst = '';
  let worstValue = 0;
  const describe = (n) => !n ? '?' : n.nodeType !== 1 ? n.nodeName
    : n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') + (n.className && typeof n.className === 'string' ? '.' + n.className.trim().replace(/\s+/g, '.') : '');
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.hadRecentInput) continue;
      if (burst > 0 && e.startTime - last < 1000 && e.startTime - first < 5000) {
        burst += e.value;
      } else {
        burst = e.value;
        first = e.startTime;
      }
      last = e.startTime;
      score = Math.max(score, burst);
      if (e.value > worstValue) {
        worstValue = e.value;
        worst = `${e.value.toFixed(3)} at ${Math.round(e.startTime)} ms: ` + (e.sources || []).map((s) => describe(s.node)).join(', ');
      }
    }
  }).observe({ type: 'layout-shift', buffered: true });
  window.__layoutShift = () => ({ score, worst });
  window.__layoutShiftRestart = () => {
    score = burst = worstValue = 0;
    worst = '';
  };
}

// Measures the layout shift from now on (before an action that loads a part of the page).
export async function restartShift(page) {
  await page.evaluate(() => window.__layoutShiftRestart());
}

// A new browser context and page that fail the scenario on any script error, console error
// (a refused request among them) or CSP report. options: contextOptions (added to the
// context's), onDialog (answers the page's dialogs). A scenario that provokes an error
// names it beforehand with expectError.
export async function newPage(browser, viewport = DESKTOP, options = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'vi-VN',
                                             ...(options.contextOptions || {}) });
  await context.addInitScript(measureLayoutShift);
  const page = await context.newPage();
  opened.push(page);
  page.problems = [];
  page.expected = [];
  page.on('pageerror', (e) => page.problems.push('script error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text() + ' ' + (m.location().url || '');
    const i = page.expected.findIndex((re) => re.test(text));
    if (i >= 0) page.expected.splice(i, 1);
    else page.problems.push('console: ' + text);
  });
  if (options.onDialog) page.on('dialog', options.onDialog);
  return page;
}

// The next console error matching re (its text and the URL it is about: "Failed to load
// resource: the server responded with a status of 422 ... http://.../submission") is part of
// the scenario, as many times as given.
export function expectError(page, re, times = 1) {
  for (let i = 0; i < times; i++) page.expected.push(re);
}

// An answer with this status to a request whose URL matches path (a string or RegExp).
export function refused(status, where) {
  const w = where instanceof RegExp ? where.source : where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`status of ${status} .*${w}`);
}

// Fails when the page met script errors or the security policy refused something.
export function clean(page) {
  check(page.problems.length === 0, page.problems.join('\n'));
}

// Logs in with the keyboard only, from the login page the daemon sent the person to; with
// leave (the default) waits until the page has moved on (a refused login stays).
export async function login(page, name, password, leave = true) {
  await page.waitForURL(/\/login\.html/);
  arrived(page);
  await page.locator('#login').focus();
  await page.keyboard.type(name);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  if (leave) await page.waitForURL((u) => !u.pathname.startsWith('/login.html'));
}

// A page opened without a session asks who is there (GET /api/v1/me answers 401) and goes to
// the login page: the one refused request a page meets in normal use, dropped from problems.
function arrived(page) {
  page.problems = page.problems.filter((p) => !/status of 401 .*\/api\/v1\/me$/.test(p));
}

// Every form control of the page has a label.
export async function labelled(page) {
  const missing = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((e) => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label'))
    .map((e) => e.id || e.outerHTML));
  check(missing.length === 0, 'controls without a label: ' + missing.join(', '));
}

// Runs the scenario named by the first argument in headless Chromium and exits: 0 when it
// passed; otherwise the reason and every page's problems on stderr, and their screenshots.
export async function runScenario(script, scenarios) {
  const name = process.argv[2];
  if (!scenarios[name]) {
    console.error(`usage: node ${script} ` + Object.keys(scenarios).join('|'));
    process.exit(2);
  }
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  let status = 0;
  try {
    await scenarios[name](browser);
  } catch (e) {
    console.error(e.stack || String(e));
    status = 1;
    for (const [i, page] of opened.entries()) {
      console.error(`page ${i}: ${page.url()}\n${page.problems.join('\n')}`);
      await shot(page, `failed-${name}-${i}`, true, false).catch(() => {});
    }
  } finally {
    await browser.close();
  }
  process.exit(status);
}
