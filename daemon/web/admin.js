// The administrators' page: units and their contacts, accounts, task import with a preview,
// the calendar and period overrides, the outbox. One section is shown at a time, chosen by
// the address's #fragment, so that each can be linked to and the browser's Back works.
import { loadMe, ApiError } from './api.js';
import { $, header, pageError } from './ui.js';
import * as units from './admin_units.js';
import * as accounts from './admin_accounts.js';
import * as tasks from './admin_tasks.js';
import * as calendar from './admin_calendar.js';
import * as outbox from './admin_outbox.js';

const SECTIONS = {
  'don-vi': units, 'tai-khoan': accounts, 'nhiem-vu': tasks, lich: calendar, 'hop-thu': outbox,
};
const loaded = new Set();
const ready = new Set(); // sections whose first load is over

// The section the address names (the first one by default).
function current() {
  return SECTIONS[location.hash.slice(1)] ? location.hash.slice(1) : 'don-vi';
}

// Shows the section the address names and loads it once. A section appears when its first
// load is over, so that nothing on the page moves as its rows come.
async function show() {
  const name = current();
  for (const id of Object.keys(SECTIONS)) {
    $(id).hidden = id !== name || !ready.has(id);
    const tab = document.querySelector(`.tabs a[href="#${id}"]`);
    if (id === name) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  $('status').hidden = true;
  if (!loaded.has(name)) {
    loaded.add(name);
    try {
      await SECTIONS[name].load();
    } catch (err) {
      loaded.delete(name);
      if (!(err instanceof ApiError && err.status === 401)) pageError(err);
    }
    ready.add(name);
    $(name).hidden = current() !== name;
  }
}

async function main() {
  const me = await loadMe();
  header(me);
  if (me.role !== 'admin') {
    pageError(new Error('Trang này chỉ dành cho quản trị viên. Hãy quay lại trang báo cáo, hoặc đăng nhập bằng tài khoản quản trị.'));
    document.querySelector('.tabs').hidden = true;
    return;
  }
  for (const section of Object.values(SECTIONS)) section.init(me);
  window.addEventListener('hashchange', show);
  await show();
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return;
  pageError(err);
});
