// Văn phòng Tỉnh ủy's read-only board in headless Chromium, against a running baocaod
// (test_recipient_browser.py starts it with the units' reports and documents). Usage:
// node recipient.mjs board|board_phone. Exit status 0 when the scenario passed.
import { readFileSync } from 'node:fs';
import { BASE, PHONE, check, clean, env, labelled, login, newPage as open, runScenario,
         shot } from './common.mjs';

const API = `/api/v1/series/nq57-weekly/periods/${env.PERIOD}`;
const WIDE = { width: 1280, height: 800 };
// The only buttons a recipient's pages have: nothing that reviews, approves or reminds.
const BUTTONS = ['Cập nhật ngay', 'Đăng xuất'];

// A new page in the daemon's time zone (the times the pages show).
function newPage(browser, viewport = WIDE) {
  return open(browser, viewport, { contextOptions: { timezoneId: 'Asia/Ho_Chi_Minh' } });
}

// The texts of the buttons a person can see on the page.
function visibleButtons(page) {
  return page.evaluate(() => [...document.querySelectorAll('button, input[type="submit"]')]
    .filter((b) => b.offsetParent !== null).map((b) => b.textContent.trim()));
}

// The text of a unit's row on the board.
function rowText(page, unit) {
  return page.textContent(`#board-body tr[data-unit="${unit}"]`);
}

// Logs in from the landing page, which sends the recipient to the reports received, and opens
// the board from there.
async function openBoard(browser, viewport) {
  const page = await newPage(browser, viewport);
  await page.goto(BASE + '/');
  await login(page, env.RECIPIENT_LOGIN, env.RECIPIENT_PASSWORD);
  await page.waitForURL(/\/received\.html/);
  await page.click('a[href="/received_board.html"]');
  await page.waitForURL(/\/received_board\.html/);
  await page.waitForSelector('#board-body tr[data-unit="SNV"]');
  return page;
}

const scenarios = {
  async board(browser) {
    const page = await openBoard(browser);
    await labelled(page);
    const head = await page.textContent('#period');
    check(head.includes('Tuần 50') && head.includes('Hạn gửi của các đơn vị'), 'period: ' + head);
    const board = await (await page.request.get(BASE + API + '/status')).json();
    for (const k of ['expected', 'on_time', 'missing', 'no_document']) {
      check(await page.textContent('#n-' + k) === String(board.totals[k]), `count ${k}: ${await page.textContent('#n-' + k)}`);
    }
    const snv = await rowText(page, 'SNV');
    check(snv.includes('Đúng hạn') && snv.includes('Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính'), 'SNV: ' + snv);
    const syt = await rowText(page, 'SYT');
    check(syt.includes('Chữ ký số không hợp lệ') && syt.includes('sửa sau khi ký'), 'SYT: ' + syt);
    check((await rowText(page, 'STP')).includes('Không có chữ ký số'), 'STP: ' + await rowText(page, 'STP'));
    const stc = await rowText(page, 'STC');
    check(stc.includes('Thiếu văn bản') && !stc.includes('Văn bản (PDF)'), 'STC: ' + stc);
    const sxd = await rowText(page, 'SXD');
    check(sxd.includes('Chưa gửi') && !sxd.includes('Báo cáo'), 'SXD: ' + sxd);
    const buttons = await visibleButtons(page);
    check(buttons.every((b) => BUTTONS.includes(b)), 'buttons on the board: ' + buttons.join(', '));
    check(await page.locator('#remind').count() === 0, 'a reminder section on the board');
    // The filter: only the unit without its document.
    await page.check('input[name="filter"][value="no_document"]');
    check(await page.locator('#board-body tr[data-unit]').count() === board.totals.no_document, 'filter: no_document');
    await page.check('input[name="filter"][value="all"]');
    // The picture: the counts and the first group's rows (the units that reported are there).
    await page.setViewportSize({ width: 1280, height: 1280 });
    await page.evaluate(() => {
      document.activeElement.blur();
      window.scrollTo(0, document.querySelector('.counts').getBoundingClientRect().top + window.scrollY - 12);
    });
    await shot(page, 'recipient-board', false);
    await page.setViewportSize(WIDE);

    // A unit's document, from the board: the file as the unit sent it.
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.click('#board-body tr[data-unit="SNV"] a[download]')]);
    const got = readFileSync(await download.path());
    check(Buffer.compare(got, readFileSync(env.VALID_PDF)) === 0, 'the downloaded document differs');

    // The unit's report, read only.
    await page.click('#board-body tr[data-unit="SNV"] td.links a:not([download])');
    await page.waitForURL(/\/unit\.html\?.*unit=SNV/);
    await page.waitForSelector('#report:not([hidden])');
    check(await page.isHidden('#decide') && await page.isHidden('#versions'), 'review controls for a recipient');
    const docLine = await page.textContent('#doc-state');
    check(docLine.includes('Ký số hợp lệ — Nguyễn Văn A'), 'document: ' + docLine);
    check(await page.isVisible('#file-link') && await page.isVisible('#doc-link'), 'downloads on the unit page');
    check(await page.isVisible('header nav a[href="/received.html"]'), 'the reports received in the nav');
    check(await page.isHidden('a[data-page="/consolidated.html"]') && await page.isHidden('a[data-page="/timeliness.html"]'),
      'the coordinator\'s pages in the nav');
    const unitButtons = await visibleButtons(page);
    check(unitButtons.every((b) => BUTTONS.includes(b)), 'buttons on the unit page: ' + unitButtons.join(', '));
    check((await page.getAttribute('#back', 'href')).startsWith('/received_board.html'), 'back link');
    await shot(page, 'recipient-unit', false);
    const [doc2] = await Promise.all([page.waitForEvent('download'), page.click('#doc-link')]);
    check(Buffer.compare(readFileSync(await doc2.path()), got) === 0, 'the unit page\'s document differs');
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('#file-link')]);
    const book = readFileSync(await xlsx.path());
    const direct = await page.request.get(BASE + API + '/submission/file?unit=SNV');
    check(Buffer.compare(book, await direct.body()) === 0, 'the workbook differs');
    // The coordinator's pages stay closed.
    await page.goto(BASE + '/consolidated.html');
    await page.waitForSelector('#page-error:not([hidden])');
    clean(page);
  },

  async board_phone(browser) {
    const page = await openBoard(browser, PHONE);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(over <= 1, `the board is ${over}px wider than the phone`);
    const snv = await rowText(page, 'SNV');
    check(snv.includes('Ký số hợp lệ'), 'SNV on a phone: ' + snv);
    await page.evaluate(() => {
      const row = document.querySelector('#board-body tr[data-unit="SNV"]');
      window.scrollTo(0, row.getBoundingClientRect().top + window.scrollY - 220);
    });
    await shot(page, 'recipient-board-phone', false);
    clean(page);
  },
};

await runScenario('recipient.mjs', scenarios);
