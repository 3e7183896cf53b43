// What the browser scenarios share: Chromium started as the tests start it, pages that fail
// the scenario on any script error or refused resource, screenshots, keyboard login, the
// label check, and running one scenario by name with screenshots of every page on failure.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const env = process.env;
export const BASE = env.BASE_URL;
export const DESKTOP = { width: 1366, height: 768 };
export const PHONE = { width: 390, height: 844 };
const opened = []; // every page, for the screenshots of a failure

// Fails the scenario with a message.
export function check(cond, message) {
  if (!cond) throw new Error(message);
}

// Saves a screenshot into ARTEFACTS: the whole page, or with fullPage false what the window shows.
export async function shot(page, name, fullPage = true) {
  mkdirSync(env.ARTEFACTS, { recursive: true });
  await page.screenshot({ path: path.join(env.ARTEFACTS, name + '.png'), fullPage });
}

// A new browser context and page that fail the scenario on any script error or CSP report.
// options: contextOptions (added to the context's), onDialog (answers the page's dialogs).
export async function newPage(browser, viewport = DESKTOP, options = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'vi-VN',
                                             ...(options.contextOptions || {}) });
  const page = await context.newPage();
  opened.push(page);
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push('script error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
      page.problems.push('console: ' + m.text());
    }
  });
  if (options.onDialog) page.on('dialog', options.onDialog);
  return page;
}

// Fails when the page met script errors or the security policy refused something.
export function clean(page) {
  check(page.problems.length === 0, page.problems.join('\n'));
}

// Logs in with the keyboard only, from the login page the daemon sent the person to; with
// leave (the default) waits until the page has moved on (a refused login stays).
export async function login(page, name, password, leave = true) {
  await page.waitForURL(/\/login\.html/);
  await page.locator('#login').focus();
  await page.keyboard.type(name);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  if (leave) await page.waitForURL((u) => !u.pathname.startsWith('/login.html'));
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
      await shot(page, `failed-${name}-${i}`).catch(() => {});
    }
  } finally {
    await browser.close();
  }
  process.exit(status);
}
