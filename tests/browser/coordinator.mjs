// The coordinator's and the recipient's pages in headless Chromium, against a running baocaod
// (test_coordinator.py starts it with PostgreSQL and an SMTP server). Usage:
// node coordinator.mjs board|review|approve|recipient. The scenarios run in that order on one
// database. Exit status 0 when the scenario passed; the reason on stderr otherwise.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BASE, DESKTOP, PHONE, check, clean, env, expectError, labelled, login,
         newPage as open, refused, runScenario, shot } from './common.mjs';

const API = `/api/v1/series/nq57-weekly/periods/${env.PERIOD}`;

// Saves a screenshot of what the window shows (1366×768, or the phone's screen).
function view(page, name) {
  return shot(page, name, false);
}

// A new page in the daemon's time zone (the times the pages show).
function newPage(browser, viewport = DESKTOP) {
  return open(browser, viewport, { contextOptions: { timezoneId: 'Asia/Ho_Chi_Minh' } });
}

// The page scrolls sideways by this many pixels (0 when it fits).
function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

// A call to the API with a token, from Node.
async function call(method, url, token, body) {
  const res = await fetch(BASE + url, {
    method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

// Drops a file on a drop zone, as a person dragging it from their files does.
async function dropFile(page, selector, file, type) {
  const data = readFileSync(file).toString('base64');
  await page.evaluate(({ selector, name, data, type }) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type }));
    const zone = document.querySelector(selector);
    for (const t of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(t, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, { selector, name: path.basename(file), data, type });
}

// The coordinator's board, logged in from the landing page.
async function openBoard(browser, query = '') {
  const page = await newPage(browser);
  await page.goto(BASE + '/');
  await login(page, env.COORD_LOGIN, env.COORD_PASSWORD);
  await page.waitForURL(/\/board\.html/);
  if (query) await page.goto(BASE + '/board.html' + query);
  await page.waitForSelector('#board [role="row"][data-unit]');
  return page;
}

// The number of a count at the top of the board.
async function count(page, key) {
  return Number(await page.textContent('#n-' + key));
}

// The state shown for a unit's row.
function rowState(page, unit) {
  return page.textContent(`#board [role="row"][data-unit="${unit}"] .badge`);
}

// A unit's timeline as a page shows it (opened at url, or as it is when url is null): each
// line's kind, time (as written and as a number) and words.
async function timeline(page, url) {
  if (url) await page.goto(BASE + url);
  await page.waitForSelector('#timeline-list li');
  return page.$$eval('#timeline-list li', (lis) => ({
    kinds: lis.map((li) => li.className.split(' ')[0].replace(/^tl-/, '')),
    times: lis.map((li) => Date.parse(li.querySelector('time').dateTime)),
    words: lis.map((li) => li.querySelector('time').textContent),
    lines: lis.map((li) => li.querySelector('span').textContent),
  }));
}

const scenarios = {
  // The board: counts, groups, the filter and the search; a unit reports and the board
  // shows it by itself, keeping the filter and the scroll; the phone; the reminders; the export.
  async board(browser) {
    const page = await openBoard(browser, '?refresh=5');
    await labelled(page);
    const expected = await count(page, 'expected');
    const rows = await page.$$eval('#board [role="row"][data-unit]', (trs) => trs.length);
    check(expected === rows && rows > 10, `expected ${expected}, rows ${rows}`);
    check(await count(page, 'on_time') === 1, 'on time: ' + await count(page, 'on_time'));
    check(await rowState(page, 'STC') === 'Đúng hạn', 'STC: ' + await rowState(page, 'STC'));
    const heads = await page.$$eval('#board .group-head [role="rowheader"]', (ths) => ths.map((t) => t.textContent));
    check(heads.some((h) => h.startsWith('Sở, ban, ngành')) && heads.some((h) => h.startsWith('Xã, phường')), 'groups: ' + heads.join(' | '));
    const deadline = await page.textContent('#deadline');
    check(/11 giờ 00, thứ Sáu, ngày 11\/12\/2026/.test(deadline), 'deadline: ' + deadline);
    check(/^Còn 2 ngày/.test(await page.textContent('#countdown')), 'countdown: ' + await page.textContent('#countdown'));
    await view(page, 'board');
    await shot(page, 'board-full');
    await page.evaluate(() => document.querySelector('#units').scrollIntoView());
    await view(page, 'board-units');
    await page.evaluate(() => window.scrollTo(0, 0));

    // "Chưa gửi": only the missing units, as many as the count says.
    await page.click('label:has(input[value="missing"])');
    const missing = await count(page, 'missing');
    const shown = await page.$$eval('#board [role="row"][data-unit]:not([hidden])', (trs) => trs.map((t) => t.querySelector('.badge').textContent));
    check(shown.length === missing && shown.every((s) => s === 'Chưa gửi'), `missing filter: ${shown.length} rows, count ${missing}`);
    check(await page.isHidden('#board [role="row"][data-unit="STC"]'), 'STC shown under "chưa gửi"');
    // The search, without diacritics, on top of the filter.
    await page.fill('#search', 'noi vu');
    await page.waitForFunction(() => /^Đang hiện 1 trên/.test(document.querySelector('#shown').textContent));
    const found = await page.$$eval('#board [role="row"][data-unit]:not([hidden])', (trs) => trs.map((t) => t.dataset.unit));
    check(found.length === 1 && found[0] === 'SNV', 'search "noi vu": ' + found.join(', '));
    await page.fill('#search', '');
    await page.waitForFunction((n) => document.querySelector('#shown').textContent.startsWith(`Đang hiện ${n} trên`), missing);
    await page.evaluate(() => window.scrollTo(0, 600));
    const scrolled = await page.evaluate(() => window.scrollY);

    // A unit reports (through the API); the board shows it at its next refresh.
    const tasks = await call('GET', API + '/tasks', env.SNV_TOKEN);
    check(tasks.status === 200, 'tasks: ' + tasks.status);
    const items = tasks.body.tasks.map((t) => ({ task: t.task, status: 'in_progress', progress: 30, result: 'Đang triển khai' }));
    const put = await call('PUT', API + '/submission', env.SNV_TOKEN, { items, general: {} });
    check(put.status === 201, 'SNV upload: ' + put.status + ' ' + JSON.stringify(put.body));
    await page.waitForFunction(() => document.querySelector('#n-on_time').textContent === '2', null, { timeout: 20000 });
    check(await rowState(page, 'SNV') === 'Đúng hạn', 'SNV after its report: ' + await rowState(page, 'SNV'));
    check(await page.isHidden('#board [role="row"][data-unit="SNV"]'), 'SNV still shown under "chưa gửi"');
    check(await page.isChecked('input[value="missing"]'), 'the filter was lost');
    check(await count(page, 'missing') === missing - 1, 'missing after: ' + await count(page, 'missing'));
    const after = await page.evaluate(() => window.scrollY);
    check(Math.abs(after - scrolled) < 5, `the scroll moved from ${scrolled} to ${after}`);

    // The reminders: who gets one, then the round, then the cool-down.
    await page.click('label:has(input[value="all"])');
    await page.click('#remind-preview');
    await page.waitForSelector('#remind-caption:not(:empty)');
    const listed = await page.$$eval('#remind-body tr', (trs) => trs.length);
    check(listed === missing - 1, `preview lists ${listed} units, ${missing - 1} missing`);
    await page.click('#remind-send');
    await page.waitForFunction(() => /Đã xếp thư nhắc/.test(document.querySelector('#remind-status').textContent));
    await shot(page, 'board-remind');
    await page.click('#remind-preview');
    await page.waitForFunction(() => /Lần nhắc gần nhất/.test(document.querySelector('#remind-status').textContent));
    await page.click('#remind-send');
    await page.waitForFunction(() => /10 phút/.test(document.querySelector('#remind-status').textContent));

    // The board as a workbook.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const file = path.join(env.WORK, 'board.xlsx');
    await download.saveAs(file);
    check(readFileSync(file).subarray(0, 2).toString() === 'PK', 'the export is not an .xlsx');
    check(/^tinh-hinh-nq57-weekly-2026-W50\.xlsx$/.test(download.suggestedFilename()), 'export name: ' + download.suggestedFilename());

    // On a phone: no sideways scroll of the page.
    const phone = await newPage(browser, PHONE);
    await phone.context().addCookies(await page.context().cookies());
    await phone.goto(BASE + '/board.html');
    await phone.waitForSelector('#board [role="row"][data-unit]');
    const wide = await overflow(phone);
    check(wide <= 0, `the phone board scrolls sideways by ${wide}px`);
    await view(phone, 'board-phone');
    await phone.evaluate(() => document.querySelector('#units').scrollIntoView());
    await view(phone, 'board-phone-units');
    clean(page);
    clean(phone);
  },

  // A unit's report returned with a comment; the reporter's page says "cần bổ sung".
  async review(browser) {
    const page = await openBoard(browser);
    await page.click('#board [role="row"][data-unit="STC"] a');
    await page.waitForURL(/\/unit\.html/);
    await page.waitForSelector('#items-body tr');
    await labelled(page);
    check((await page.textContent('#unit-title')).includes('STC'), 'title: ' + await page.textContent('#unit-title'));
    check((await page.$$('#versions-body tr')).length === 1, 'versions of STC');
    check(/^Đã có văn bản/.test(await page.textContent('#doc-state')), 'document: ' + await page.textContent('#doc-state'));
    check(await page.isVisible('#doc-link'), 'no link to the document');
    check((await page.textContent('#versions-body')).includes('Tải PDF'), 'no document in the versions');
    await page.click('#return');
    check(/Hãy ghi nhận xét/.test(await page.textContent('#decide-status')), 'no comment: ' + await page.textContent('#decide-status'));
    const comment = 'Đề nghị bổ sung số liệu giải ngân vốn đầu tư công của nhiệm vụ thứ nhất.';
    await page.fill('#comment', comment);
    check((await page.textContent('#comment-count')) === `${comment.length}/2000 ký tự`, 'counter: ' + await page.textContent('#comment-count'));
    await page.click('#return');
    await page.waitForFunction(() => /Đã trả lại báo cáo/.test(document.querySelector('#decide-status').textContent));
    await page.waitForFunction(() => /trả lại/.test(document.querySelector('#state').textContent));
    check((await page.textContent('#review')).includes(comment), 'review: ' + await page.textContent('#review'));
    await shot(page, 'unit');

    const reporter = await newPage(browser);
    await reporter.goto(BASE + '/');
    await login(reporter, env.LOGIN, env.PASSWORD);
    await reporter.waitForSelector('#state:not(:empty)');
    check((await reporter.textContent('#state')) === 'Cần bổ sung', 'reporter state: ' + await reporter.textContent('#state'));
    check((await reporter.textContent('#review')).includes(comment), 'reporter review: ' + await reporter.textContent('#review'));
    await shot(reporter, 'reporter-returned');

    await page.goto(BASE + '/board.html');
    await page.waitForSelector('#board [role="row"][data-unit="STC"]');
    check(await count(page, 'returned') === 1, 'returned on the board: ' + await count(page, 'returned'));

    // The unit sends a corrected version while its report is open: accepting the version on
    // the screen is refused, the page shows the new one and says what changed.
    await page.click('#board [role="row"][data-unit="STC"] a');
    await page.waitForURL(/\/unit\.html/);
    await page.waitForSelector('#items-body tr');
    check((await page.textContent('#received')).startsWith('Phiên bản 1,'), 'shown: ' + await page.textContent('#received'));
    const tasks = await call('GET', API + '/tasks', env.STC_TOKEN);
    check(tasks.status === 200, 'tasks: ' + tasks.status);
    const items = tasks.body.tasks.map((t) => ({ task: t.task, status: 'in_progress', progress: 60, result: 'Đã bổ sung số liệu giải ngân' }));
    const put = await call('PUT', API + '/submission', env.STC_TOKEN, { items, general: {} });
    check(put.status === 201 && put.body.version === 2, 'STC upload: ' + put.status + ' ' + JSON.stringify(put.body));
    expectError(page, refused(409, '/review'));
    await page.click('#accept');
    await page.waitForFunction(() => /Đơn vị vừa gửi phiên bản 2/.test(document.querySelector('#decide-status').textContent));
    const said = await page.textContent('#decide-status');
    check(/\(lúc \d\d:\d\d ngày \d\d\/12\/2026\) trong khi bạn xem phiên bản 1; đánh giá chưa được ghi/.test(said), 'changed: ' + said);
    check((await page.getAttribute('#decide-status', 'class')).includes('warn'), 'the message is not a warning');
    await page.waitForFunction(() => document.querySelectorAll('#versions-body tr').length === 2);
    check((await page.textContent('#received')).startsWith('Phiên bản 2,'), 'reloaded: ' + await page.textContent('#received'));
    check((await page.textContent('#items-body')).includes('Đã bổ sung số liệu giải ngân'), 'the new items are not shown');
    const review = await call('GET', API + '/submission?unit=STC', env.STC_TOKEN);
    check(review.status === 200 && review.body.review === null, 'STC reviewed anyway: ' + JSON.stringify(review.body.review));
    await shot(page, 'unit-changed');
    // Now the version on the screen is the one in force: accepted.
    await page.click('#accept');
    await page.waitForFunction(() => /Đã chấp nhận báo cáo/.test(document.querySelector('#decide-status').textContent));
    await page.waitForFunction(() => /đã chấp nhận/.test(document.querySelector('#state').textContent));

    // An extension: refused without a reason, granted with one; the unit page, the board and
    // the reporter's page say until when and why. Taken back afterwards (the later scenarios
    // judge the period as it was).
    check(/chưa được gia hạn/.test(await page.textContent('#ext-now')), 'ext: ' + await page.textContent('#ext-now'));
    await page.fill('#ext-until', '2026-12-14T17:00');
    await page.click('#ext-grant');
    check(/ghi lý do gia hạn/.test(await page.textContent('#ext-status')), 'no reason: ' + await page.textContent('#ext-status'));
    const reason = 'Đơn vị đang kiểm kê tài sản cuối năm, cần thêm thời gian tổng hợp số liệu.';
    await page.fill('#ext-reason', reason);
    await page.click('#ext-grant');
    await page.waitForFunction(() => /Đã gia hạn/.test(document.querySelector('#ext-status').textContent));
    await page.waitForFunction(() => /Đang gia hạn đến 17 giờ 00, thứ Hai, ngày 14\/12\/2026/.test(document.querySelector('#ext-now').textContent));
    check((await page.textContent('#window')).includes(reason), 'window: ' + await page.textContent('#window'));
    check(await page.isVisible('#ext-revoke'), 'no revoke button');
    await shot(page, 'unit-extension');
    await page.goto(BASE + '/board.html');
    await page.waitForSelector('#board [role="row"][data-unit="STC"]');
    const mark = await page.textContent('#board [role="row"][data-unit="STC"] .state');
    check(/gia hạn/.test(mark), 'board mark: ' + mark);
    await reporter.reload();
    await reporter.waitForSelector('#window:not([hidden])');
    check(/đã gia hạn\): 17 giờ 00, thứ Hai, ngày 14\/12\/2026/.test(await reporter.textContent('#deadline')), 'reporter deadline: ' + await reporter.textContent('#deadline'));
    check((await reporter.textContent('#window')).includes(reason), 'reporter window: ' + await reporter.textContent('#window'));
    await shot(reporter, 'reporter-extension');
    await page.click('#board [role="row"][data-unit="STC"] a');
    await page.waitForSelector('#ext-revoke:not([hidden])');
    await page.click('#ext-revoke');
    await page.waitForFunction(() => /Đã thu hồi gia hạn/.test(document.querySelector('#ext-status').textContent));
    await page.waitForSelector('#ext-revoke', { state: 'hidden' });
    // The whole group at once (Sở Tài chính's: the departments): one request per unit, each
    // audited and mailed; then taken back the same way.
    await page.fill('#ext-until', '2026-12-14T17:00');
    await page.fill('#ext-reason', reason);
    check(/^Áp dụng cho cả nhóm “.+” \(\d+ đơn vị\)$/.test(await page.textContent('#ext-group-label')), 'group line: ' + await page.textContent('#ext-group-label'));
    await page.check('#ext-group');
    await page.click('#ext-grant');
    await page.waitForFunction(() => /^Đã gia hạn cho \d+ trên \d+ đơn vị của nhóm/.test(document.querySelector('#ext-status').textContent), null, { timeout: 60000 });
    const granted = /cho (\d+) trên (\d+)/.exec(await page.textContent('#ext-status'));
    check(granted[1] === granted[2] && Number(granted[1]) > 1, 'group extension: ' + await page.textContent('#ext-status'));
    await page.waitForSelector('#ext-revoke:not([hidden])');
    await shot(page, 'unit-extension-group');
    await page.click('#ext-revoke');
    await page.waitForFunction(() => /^Đã thu hồi gia hạn cho \d+ trên \d+ đơn vị của nhóm/.test(document.querySelector('#ext-status').textContent), null, { timeout: 60000 });
    const revoked = /cho (\d+) trên (\d+)/.exec(await page.textContent('#ext-status'));
    check(revoked[1] === granted[1] && revoked[2] === granted[1], 'group revoked: ' + await page.textContent('#ext-status'));
    await page.waitForSelector('#ext-revoke', { state: 'hidden' });
    await page.uncheck('#ext-group');
    // Several units accepted at once on the board: SXD (chosen through the search and "select
    // all shown") and SNV (its own checkbox, by keyboard). SXD sends a new version while the
    // confirmation is open: it alone is refused, and the page says why.
    const sxdTasks = await call('GET', API + '/tasks', env.SXD_TOKEN);
    const sxdItems = sxdTasks.body.tasks.map((t) => ({ task: t.task, status: 'in_progress', progress: 20, result: 'Đang khảo sát hiện trạng' }));
    const sxd1 = await call('PUT', API + '/submission', env.SXD_TOKEN, { items: sxdItems, general: {} });
    check(sxd1.status === 201 && sxd1.body.version === 1, 'SXD upload: ' + sxd1.status);
    await page.goto(BASE + '/board.html');
    await page.waitForSelector('#board [role="row"][data-unit="SXD"] input.pick:not([hidden])');
    await labelled(page);
    check(await page.isHidden('#board [role="row"][data-unit="STC"] input.pick'), 'STC, accepted, can be chosen');
    check(await page.isHidden('#board [role="row"][data-unit="SYT"] input.pick'), 'SYT, without a report, can be chosen');
    await page.fill('#search', 'xay dung');
    await page.waitForFunction(() => /^Đang hiện 1 trên/.test(document.querySelector('#shown').textContent));
    await page.click('#bulk-all');
    check((await page.textContent('#bulk-count')) === 'Đã chọn 1 đơn vị.', 'chosen: ' + await page.textContent('#bulk-count'));
    await page.fill('#search', '');
    await page.waitForFunction(() => !/^Đang hiện 1 trên/.test(document.querySelector('#shown').textContent));
    await page.focus('#board [role="row"][data-unit="SNV"] input.pick');
    await page.keyboard.press('Space');
    check((await page.textContent('#bulk-count')) === 'Đã chọn 2 đơn vị.', 'chosen: ' + await page.textContent('#bulk-count'));
    await page.click('#bulk-accept');
    await page.waitForSelector('#bulk-dialog[open]');
    const listed = await page.$$eval('#bulk-list li', (lis) => lis.map((li) => li.textContent));
    check(listed.length === 2 && listed.includes('Sở Xây dựng (SXD) — phiên bản 1') && listed.includes('Sở Nội vụ (SNV) — phiên bản 1'), 'confirmation: ' + listed.join(' | '));
    check(await page.evaluate(() => document.activeElement.id) === 'bulk-confirm', 'focus in the confirmation: ' + await page.evaluate(() => document.activeElement.id));
    await view(page, 'bulk-confirm');
    const sxd2 = await call('PUT', API + '/submission', env.SXD_TOKEN, { items: sxdItems.map((i) => ({ ...i, progress: 25 })), general: {} });
    check(sxd2.status === 201 && sxd2.body.version === 2, 'SXD second upload: ' + sxd2.status);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#bulk-result:not([hidden])');
    const result = await page.textContent('#bulk-result');
    check(/Đã chấp nhận 1 trên 2 đơn vị/.test(result), 'result: ' + result);
    check(await page.textContent('#bulk-result .bulk-ok') === 'Sở Nội vụ (SNV) — phiên bản 1', 'accepted: ' + await page.textContent('#bulk-result .bulk-ok'));
    check(/Sở Xây dựng \(SXD\) — phiên bản 1: Đơn vị vừa gửi phiên bản 2/.test(await page.textContent('#bulk-result .bulk-failed')), 'refused: ' + await page.textContent('#bulk-result .bulk-failed'));
    // SNV, accepted, can no longer be chosen; SXD stays chosen, its new version to be seen.
    await page.waitForFunction(() => document.querySelector('#board [role="row"][data-unit="SNV"] input.pick').hidden);
    await page.waitForFunction(() => document.querySelector('#bulk-count').textContent === 'Đã chọn 1 đơn vị.');
    check(await page.isChecked('#board [role="row"][data-unit="SXD"] input.pick'), 'SXD no longer chosen');
    const snv = await call('GET', API + '/submission?unit=SNV', env.SNV_TOKEN);
    check(snv.body.review && snv.body.review.decision === 'accepted', 'SNV review: ' + JSON.stringify(snv.body.review));
    const sxd = await call('GET', API + '/submission?unit=SXD', env.SXD_TOKEN);
    check(sxd.body.review === null, 'SXD reviewed anyway: ' + JSON.stringify(sxd.body.review));
    await view(page, 'bulk-result');
    clean(page);
    clean(reporter);
  },

  // The assessment, the approval refused before the deadline, then after it (test clock),
  // and the deliveries sent; the timeliness table.
  async approve(browser) {
    const page = await openBoard(browser);
    await page.click('nav a[data-page="/consolidated.html"]');
    await page.waitForURL(/\/consolidated\.html/);
    await page.waitForSelector('#assessment:not([hidden])');
    await labelled(page);
    await page.fill('#assessment-text', 'Các đơn vị cơ bản gửi báo cáo đúng hạn.');
    await page.click('#assessment-save');
    await page.waitForFunction(() => /Đã lưu đánh giá/.test(document.querySelector('#assessment-status').textContent));
    const text = 'Các đơn vị cơ bản gửi báo cáo đúng hạn; Sở Tài chính cần bổ sung số liệu giải ngân.';
    await page.fill('#assessment-text', text);
    await page.click('#assessment-save');
    await page.waitForFunction(() => document.querySelectorAll('#history-list li').length === 2);
    await page.click('#approve-open');
    check(/gửi ngay cho các đơn vị nhận/.test(await page.textContent('#confirm-text')), 'confirmation: ' + await page.textContent('#confirm-text'));
    expectError(page, refused(409, '/approve'));
    await page.click('#approve-yes');
    await page.waitForSelector('#approve-status:not([hidden])');
    check(/Hãy phê duyệt sau hạn gửi/.test(await page.textContent('#approve-status')), 'before the deadline: ' + await page.textContent('#approve-status'));

    const res = await call('PUT', '/api/v1/testing/clock', env.ADMIN_TOKEN, { now: '2026-12-11T11:30:00+07:00' });
    check(res.status === 200, 'moving the clock: ' + res.status);
    await page.reload();
    await page.waitForSelector('#assessment:not([hidden])');
    check((await page.inputValue('#assessment-text')) === text, 'the assessment kept');
    // Sở KH&CN's signed PDF, dropped for the version about to be approved.
    check(/bản sắp phê duyệt \(số 1\)/.test(await page.textContent('#signed')), 'the signed document for: ' + await page.textContent('#signed'));
    await dropFile(page, '#doc-drop', path.join(env.PDF_FIXTURES, 'valid.pdf'), 'application/pdf');
    await page.click('#doc-send');
    await page.waitForFunction(() => /Đã gắn văn bản/.test(document.querySelector('#doc-status').textContent));
    await page.waitForFunction(() => /^Ký số hợp lệ/.test(document.querySelector('#doc-state').textContent));
    check(/Văn bản đã ký số .* được gửi kèm/.test(await page.textContent('#approve-what')), 'approval with the document: ' + await page.textContent('#approve-what'));
    await page.locator('#signed').scrollIntoViewIfNeeded();
    await view(page, 'consolidated-document');
    await page.click('#approve-open');
    await page.click('#approve-yes');
    await page.waitForFunction(() => /Đã phê duyệt/.test(document.querySelector('#approve-status').textContent));
    await page.waitForSelector('#deliveries-list .version');
    // Every message delivered (the page looks again every 5 s while one is on its way).
    await page.waitForFunction(() => {
      const states = [...document.querySelectorAll('#deliveries-list .badge.delivery')].map((b) => b.textContent);
      return states.length > 0 && states.every((s) => s === 'Đã gửi');
    }, null, { timeout: 60000 });
    check(/phiên bản 2.*bổ sung/.test(await page.textContent('#approve-what')), 'after approval: ' + await page.textContent('#approve-what'));
    check(!(await page.isHidden('#dl-final')), 'no final to download');
    // The report's .docx draft of the newest final version, as the link fetches it.
    const draft = await page.getAttribute('#dl-draft', 'href');
    check(/\/consolidated\/draft\?version=final$/.test(draft), 'the draft link: ' + draft);
    check((await page.textContent('#dl-draft')) === 'Tải dự thảo báo cáo (.docx)', 'the draft link text');
    const got = await page.evaluate(async (href) => {
      const r = await fetch(href);
      return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength];
    }, draft);
    check(got[0] === 200 && /wordprocessingml\.document$/.test(got[1]) && got[2] > 2000, 'the draft: ' + JSON.stringify(got));
    await shot(page, 'consolidated');

    await page.click('nav a[data-page="/timeliness.html"]');
    await page.waitForSelector('#rows[data-complete] tr td.mark');
    await labelled(page);
    const stc = await page.$$eval('#rows tr', (trs) => trs.filter((t) => t.textContent.includes('STC')).map((t) => [...t.querySelectorAll('td.mark')].map((m) => m.textContent)));
    check(stc.length === 1 && stc[0][stc[0].length - 1] === 'Đ', 'STC in the timeliness table: ' + JSON.stringify(stc));
    await shot(page, 'timeliness');
    // Sở KH&CN's own line first: this week's report delivered before 15:30.
    const own = await page.$$eval('#rows tr.consolidator td.mark', (ms) => ms.map((m) => m.textContent));
    check(own.length > 0 && own[own.length - 1] === 'Đ', 'the consolidator in the timeliness table: ' + JSON.stringify(own));
    await shot(page, 'timeliness-own', false);
    clean(page);
  },

  // The recipient lands on the reports received and downloads the final, byte for byte.
  async recipient(browser) {
    const page = await newPage(browser);
    await page.goto(BASE + '/');
    await login(page, env.RECIPIENT_LOGIN, env.RECIPIENT_PASSWORD);
    await page.waitForURL(/\/received\.html/);
    await page.waitForSelector('.period-card ul.versions li');
    const first = await page.textContent('.period-card');
    check(first.includes('Tuần 50') && first.includes('Phiên bản 1') && first.includes('chính thức'), 'received: ' + first);
    // With the signed document of the version and its signature line.
    await page.waitForSelector('.period-card .doc-line a');
    const line = await page.textContent('.period-card .doc-line');
    check(/^Văn bản đã ký số: Ký số hợp lệ — .*Tải về \(\.pdf\)$/.test(line), 'the document: ' + line);
    const pdf = await page.request.get(BASE + await page.getAttribute('.period-card .doc-line a', 'href'));
    check(pdf.status() === 200 && Buffer.compare(await pdf.body(), readFileSync(path.join(env.PDF_FIXTURES, 'valid.pdf'))) === 0, 'the signed document: ' + pdf.status());
    await shot(page, 'received');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.period-card a.button')]);
    const file = path.join(env.WORK, 'final.xlsx');
    await download.saveAs(file);
    const got = readFileSync(file);
    const direct = await page.request.get(BASE + API + '/consolidated?version=final');
    check(direct.status() === 200, 'final: ' + direct.status());
    check(Buffer.compare(got, await direct.body()) === 0, 'the downloaded file differs from the final workbook');
    // "Đã tiếp nhận" on the newest version: the button becomes who and when.
    const newest = page.locator('.period-card ul.versions li').first();
    await newest.getByRole('button', { name: 'Đã tiếp nhận' }).click();
    await newest.locator('.ack-done').waitFor();
    check(/Đã tiếp nhận · Trần Văn Minh \(Văn phòng Tỉnh ủy\)/.test(await newest.textContent()), 'acknowledged: ' + await newest.textContent());
    await shot(page, 'received-ack');
    // When the signed documents cannot be read, the page says so, not that none came.
    await page.route('**/consolidated/documents', (route) => route.fulfill({
      status: 429, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'too_many_requests', message: 'Thử lại sau.' } }) }));
    expectError(page, refused(429, '/consolidated/documents'));
    await page.reload();
    await page.waitForSelector('.period-card .doc-line');
    const failed = await page.textContent('.period-card .doc-line');
    check(failed === 'Chưa tải được thông tin văn bản đã ký số; hãy tải lại trang.', 'documents unread: ' + failed);
    await page.unroute('**/consolidated/documents');
    // The coordinator's page shows it, under the version.
    const coord = await openBoard(browser);
    await coord.goto(BASE + '/consolidated.html');
    await coord.waitForSelector('#deliveries-list .version');
    const acks = await coord.$$eval('#deliveries-list .version', (vs) => vs.map((v) => v.querySelector('.ack-done, .ack-none').textContent));
    check(acks.some((t) => /Đã tiếp nhận: Trần Văn Minh \(Văn phòng Tỉnh ủy\)/.test(t)), 'the coordinator sees: ' + JSON.stringify(acks));
    check(/gửi bản đầu tiên lúc .*đúng hạn/.test(await coord.textContent('#deliveries-list .delivery-own')), 'own delivery: ' + await coord.textContent('#deliveries-list .delivery-own'));
    await shot(coord, 'consolidated-ack');
    // Sở Tài chính's week on its page, oldest first, from the opening to the acknowledgement.
    const week = await timeline(coord, '/unit.html?unit=STC');
    for (const kind of ['opened', 'submission', 'document', 'returned', 'accepted', 'cutoff', 'final', 'acknowledged']) {
      check(week.kinds.includes(kind), `no ${kind} in the timeline: ${week.kinds.join(', ')}`);
    }
    const order = ['returned', 'accepted', 'cutoff', 'final', 'acknowledged'].map((k) => week.kinds.indexOf(k));
    check(order.every((n, i) => i === 0 || n > order[i - 1]), 'timeline order: ' + week.kinds.join(', '));
    check(week.times.every((t, i) => i === 0 || t >= week.times[i - 1]), 'times not oldest first');
    check(week.words.every((w) => /^\d\d giờ \d\d, \d\d\/\d\d\/2026$/.test(w)), 'times: ' + week.words.join(' | '));
    for (const line of ['Mở kỳ báo cáo', 'Gửi phiên bản 1 (tệp Excel) — đúng hạn', 'Trả lại: Đề nghị bổ sung',
      'Chấp nhận (phiên bản 2', 'Vào bản tổng hợp lúc chốt (phiên bản 2)', 'Bản tổng hợp chính thức số 1',
      'Văn phòng Tỉnh ủy đã tiếp nhận bản tổng hợp số 1']) {
      check(week.lines.some((l) => l.startsWith(line)), `"${line}" not in the timeline: ${week.lines.join(' | ')}`);
    }
    await coord.locator('#timeline').scrollIntoViewIfNeeded();
    await view(coord, 'timeline');
    clean(coord);
    // The recipient has no board.
    await page.goto(BASE + '/board.html');
    await page.waitForSelector('#page-error:not([hidden])');
    check(/dành cho điều phối viên/.test(await page.textContent('#page-error')), 'board for a recipient: ' + await page.textContent('#page-error'));
    // The recipient reads the unit's timeline too, without the unit's addresses (how many, and
    // whether they arrived), and the reporter its own.
    const read = await timeline(page, '/unit.html?unit=STC');
    const unaddressed = (l) => l.replace(/báo tới .*: /, 'báo tới ');
    check(JSON.stringify(read.lines.map(unaddressed)) === JSON.stringify(week.lines.map(unaddressed)), 'the recipient\'s timeline: ' + read.lines.join(' | '));
    check(read.lines.some((l) => /báo tới 1 địa chỉ của đơn vị: đã gửi/.test(l)) && !read.lines.some((l) => l.includes('@')), 'addresses for the recipient: ' + read.lines.join(' | '));
    clean(page);
    const reporter = await newPage(browser);
    await reporter.goto(`${BASE}/?series=nq57-weekly&period=${env.PERIOD}`);
    await login(reporter, env.LOGIN, env.PASSWORD);
    const own = await timeline(reporter, null);
    check(JSON.stringify(own.lines) === JSON.stringify(week.lines), 'the reporter\'s timeline: ' + own.lines.join(' | '));
    await reporter.locator('#timeline').scrollIntoViewIfNeeded();
    await view(reporter, 'timeline-reporter');
    clean(reporter);
  },
};

await runScenario('coordinator.mjs', scenarios);
