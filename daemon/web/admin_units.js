// The units and their contacts: the list, editing one, importing the units file.
import { api } from './api.js';
import { $, el, say } from './ui.js';
import { report, busy, td, rowButton, filterRows, confirmed } from './admin_common.js';

let editing = null; // the unit being edited

// The units, as other sections need them (the accounts' unit list).
export let list = [];

// Shows a unit's e-mails, the head's marked, and its webhook's host.
function emailCell(emails, u) {
  const cell = el('td', { class: 'emails' });
  for (const e of emails) {
    const head = e.startsWith('head:');
    cell.append(el('span', { class: head ? 'email head' : 'email', text: head ? e.slice(5) : e }));
    if (head) cell.append(el('span', { class: 'tag', text: 'thủ trưởng' }));
    cell.append(el('br'));
  }
  if (emails.length === 0) cell.append(el('span', { class: 'note', text: 'chưa có' }));
  if (u.webhook) {
    let host = u.webhook;
    try { host = new URL(u.webhook).host; } catch (e) { /* shown as it is */ }
    if (emails.length === 0) cell.append(el('br'));
    cell.append(el('span', { class: 'email', text: 'webhook: ' + host }));
    if (!u.webhook_secret_set) cell.append(el('span', { class: 'tag', text: 'chưa có khóa ký' }));
  }
  return cell;
}

// Opens the form on a unit.
function edit(u) {
  editing = u;
  $('unit-form-title').textContent = `Sửa đơn vị ${u.code}`;
  $('unit-name').value = u.name;
  $('unit-group').value = u.group;
  $('unit-emails').value = u.emails.join('\n');
  $('unit-webhook').value = u.webhook || '';
  $('unit-webhook-secret').textContent = u.webhook_secret_set ? 'Đơn vị này đã có khóa ký.' : 'Đơn vị này chưa có khóa ký.';
  say($('unit-form-status'), '');
  $('unit-form').hidden = false;
  $('unit-name').focus();
}

// Draws the table.
function draw() {
  const body = $('units-body');
  body.replaceChildren();
  for (const u of list) {
    body.append(el('tr', { id: 'unit-' + u.code },
      td(u.code, 'code'), td(u.name), td(u.group), emailCell(u.emails, u),
      td(u.active ? 'Đang hoạt động' : 'Ngừng hoạt động', u.active ? '' : 'muted'),
      el('td', {}, rowButton('Sửa', `Sửa đơn vị ${u.name}`, () => edit(u)))));
  }
  count();
}

// Shows how many units the filter keeps.
function count() {
  const shown = filterRows($('units-filter'), $('units-body'));
  $('units-count').textContent = `${shown} / ${list.length} đơn vị`;
}

export async function load() {
  const doc = await api('GET', '/api/v1/admin/units');
  list = doc.units;
  draw();
}

export function init() {
  $('units-filter').addEventListener('input', count);
  $('unit-cancel').addEventListener('click', () => {
    $('unit-form').hidden = true;
    editing = null;
  });
  $('unit-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('unit-form-status');
    const name = $('unit-name').value.trim();
    const group = $('unit-group').value.trim();
    if (!name) {
      say(box, 'Hãy nhập tên đơn vị.', 'error');
      $('unit-name').focus();
      return;
    }
    const emails = $('unit-emails').value.split(/[\n;,]+/).map((s) => s.trim()).filter(Boolean);
    const webhook = $('unit-webhook').value.trim();
    await busy($('unit-save'), box, async () => {
      const answer = await api('PUT', '/api/v1/admin/units/' + encodeURIComponent(editing.code),
        { name, group, emails, webhook });
      const code = editing.code;
      $('unit-form').hidden = true;
      editing = null;
      await load();
      report(`${answer.message} (${code})`);
    });
  });
  $('units-import').addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('units-import-status');
    const file = $('units-file').files[0];
    if (!file) {
      say(box, 'Hãy chọn tệp CSV danh sách đơn vị.', 'error');
      $('units-file').focus();
      return;
    }
    if (!confirmed(`Nhập tệp ${file.name}? Các đơn vị trong tệp sẽ được thêm hoặc cập nhật (tên, nhóm, thư điện tử, webhook).`)) return;
    await busy($('units-import-send'), box, async () => {
      const answer = await api('POST', '/api/v1/admin/units/import', new Blob([file], { type: 'text/csv' }));
      say(box, answer.message, 'ok');
      await load();
    });
  });
}
