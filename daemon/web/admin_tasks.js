// Task import: a task table tried first (what would be added, changed, stopped; the errors by
// line), then applied with "Áp dụng".
import { api, ApiError } from './api.js';
import { $, el, say } from './ui.js';
import { report, busy, confirmed } from './admin_common.js';

const MAX_FILE = 10 * 1024 * 1024; // the daemon's default max_upload_size
let previewed = null; // { series, file, source } of the preview shown

// The type a task table is sent with.
function typed(file) {
  const xlsx = /\.xlsx$/i.test(file.name);
  return new Blob([file], { type: xlsx ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv' });
}

// The address of the preview or the import of a file.
function path(what, p) {
  const q = new URLSearchParams({ file: p.file.name });
  if (p.source) q.set('source', p.source);
  return `/api/v1/admin/series/${encodeURIComponent(p.series)}/tasks/${what}?${q}`;
}

// A list of task codes under a heading.
function codes(title, list, cls) {
  if (list.length === 0) return null;
  return el('div', { class: 'change ' + cls },
    el('h4', { text: `${title} (${list.length})` }),
    el('p', { class: 'codes', text: list.join(', ') }));
}

// Shows what an import would do (or did), with the Áp dụng button for a preview.
function showResult(doc) {
  const box = $('tasks-result');
  box.replaceChildren(...[
    el('h3', { text: doc.dry_run ? 'Xem trước: những gì sẽ thay đổi' : 'Đã nhập bảng nhiệm vụ' }),
    el('p', { class: doc.dry_run ? 'message info' : 'message ok', role: 'status', text: doc.message }),
    codes('Thêm mới', doc.added, 'added'),
    codes('Thay đổi (nội dung, thứ tự hoặc đơn vị)', doc.updated, 'updated'),
    codes('Ngừng theo dõi (không còn trong tệp)', doc.deactivated, 'deactivated'),
  ].filter(Boolean));
  if (doc.added.length + doc.updated.length + doc.deactivated.length === 0) {
    box.append(el('p', { class: 'note', text: 'Bảng trong tệp giống hệt danh sách hiện có.' }));
  }
  if (doc.dry_run) {
    const apply = el('button', { id: 'tasks-apply', type: 'button', text: 'Áp dụng' });
    apply.addEventListener('click', () => applyImport(apply));
    box.append(el('div', { class: 'actions' }, apply));
  }
  box.hidden = false;
}

// Shows the problems of a refused table, by line.
function showErrors(err) {
  const box = $('tasks-result');
  const errors = (err.body && err.body.errors) || [];
  const total = (err.body && err.body.total) || errors.length;
  const list = el('ol', { class: 'problems' });
  for (const e of errors) list.append(el('li', { text: e }));
  box.replaceChildren(
    el('h3', { text: 'Bảng nhiệm vụ chưa nhập được' }),
    el('p', { class: 'message error', role: 'alert', text: err.message }),
    el('p', { text: `${total} lỗi, theo dòng (hoặc ô) của tệp:` }), list);
  if (total > errors.length) box.append(el('p', { class: 'note', text: `Và ${total - errors.length} lỗi nữa.` }));
  box.hidden = false;
}

// Applies the previewed table.
async function applyImport(button) {
  if (!previewed) return;
  if (!confirmed(`Áp dụng bảng nhiệm vụ ${previewed.file.name} cho loại báo cáo này? Danh sách nhiệm vụ của các kỳ đang mở sẽ được cập nhật.`)) return;
  await busy(button, $('tasks-status'), async () => {
    try {
      const doc = await api('POST', path('import', previewed), typed(previewed.file));
      previewed = null;
      showResult(doc);
      report(doc.message);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && err.body && err.body.errors) showErrors(err);
      else throw err;
    }
  });
}

export async function load() {
  const doc = await api('GET', '/api/v1/admin/series');
  const select = $('tasks-series');
  select.replaceChildren();
  for (const s of doc.series) select.append(el('option', { value: s.name, text: `${s.title} (${s.name})` }));
}

export function init() {
  for (const id of ['tasks-series', 'tasks-file', 'tasks-source']) {
    $(id).addEventListener('change', () => {
      previewed = null;
      $('tasks-result').hidden = true;
    });
  }
  $('tasks-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('tasks-status');
    const file = $('tasks-file').files[0];
    say(box, '');
    if (!file) {
      say(box, 'Hãy chọn tệp bảng nhiệm vụ (.csv hoặc .xlsx).', 'error');
      $('tasks-file').focus();
      return;
    }
    if (file.size > MAX_FILE) {
      say(box, 'Tệp lớn hơn 10 MB. Hãy bỏ các trang tính không cần thiết rồi chọn lại.', 'error');
      return;
    }
    const p = { series: $('tasks-series').value, file, source: $('tasks-source').value.trim() };
    await busy($('tasks-preview'), box, async () => {
      try {
        const doc = await api('POST', path('preview', p), typed(file));
        previewed = p;
        showResult(doc);
      } catch (err) {
        previewed = null;
        if (err instanceof ApiError && err.status === 422 && err.body && err.body.errors) showErrors(err);
        else throw err;
      }
    });
  });
}
