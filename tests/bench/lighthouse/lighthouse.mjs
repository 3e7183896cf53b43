// Lighthouse over each page that run (tests/bench/lighthouse/run) names in PAGES (JSON: name,
// url, cookie), in Debian's chromium (CHROME_PATH) with Lighthouse's default mobile settings
// (simulated throttling): performance, accessibility and best practices, and the cumulative
// layout shift. RUNS runs a page; the median performance run is kept. Prints a table; RESULTS
// (a file) keeps the scores as JSON, REPORTS (a folder) each page's full report.
import { launch } from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const pages = JSON.parse(process.env.PAGES);
const runs = Number(process.env.RUNS || 1);
const CATEGORIES = ['performance', 'accessibility', 'best-practices'];

// One Lighthouse run of a page; returns its report (the LHR).
async function measure(chrome, page) {
  const headers = page.cookie ? { Cookie: page.cookie } : undefined;
  const result = await lighthouse(page.url, {
    port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES,
    extraHeaders: headers,
  });
  return result.lhr;
}

// What the table shows of a report.
function figures(lhr) {
  const score = (c) => (lhr.categories[c].score === null ? NaN : Math.round(lhr.categories[c].score * 100));
  const audit = (a) => lhr.audits[a];
  const failed = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative' &&
      a.scoreDisplayMode !== 'notApplicable' && a.scoreDisplayMode !== 'manual')
    .map((a) => a.id);
  return {
    performance: score('performance'),
    accessibility: score('accessibility'),
    best_practices: score('best-practices'),
    cls: audit('cumulative-layout-shift').numericValue,
    lcp_ms: Math.round(audit('largest-contentful-paint').numericValue),
    tbt_ms: Math.round(audit('total-blocking-time').numericValue),
    final_url: lhr.finalDisplayedUrl,
    below_90: failed,
  };
}

const chrome = await launch({
  chromePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const rows = [];
try {
  for (const page of pages) {
    const all = [];
    for (let i = 0; i < runs; i++) all.push(await measure(chrome, page));
    all.sort((a, b) => a.categories.performance.score - b.categories.performance.score);
    const lhr = all[Math.floor(all.length / 2)];
    if (process.env.REPORTS) {
      mkdirSync(process.env.REPORTS, { recursive: true });
      writeFileSync(path.join(process.env.REPORTS, page.name + '.json'), JSON.stringify(lhr));
    }
    const f = { page: page.name, ...figures(lhr) };
    rows.push(f);
    console.error(`${page.name}: ${JSON.stringify(f)}`);
  }
} finally {
  await chrome.kill();
}
const pad = (s, n) => String(s).padEnd(n);
console.log(pad('page', 16) + pad('performance', 13) + pad('accessibility', 15) + pad('best practices', 16) + pad('CLS', 8) + pad('LCP ms', 8) + 'TBT ms');
for (const r of rows) {
  console.log(pad(r.page, 16) + pad(r.performance, 13) + pad(r.accessibility, 15) + pad(r.best_practices, 16) +
    pad(r.cls.toFixed(3), 8) + pad(r.lcp_ms, 8) + r.tbt_ms);
}
for (const r of rows) {
  if (r.below_90.length) console.log(`${r.page}: audits below 0.9: ${r.below_90.join(', ')}`);
}
if (process.env.RESULTS) writeFileSync(process.env.RESULTS, JSON.stringify(rows, null, 2) + '\n');
