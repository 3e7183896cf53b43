// The document (PDF) on the reporter's page and the coordinator's unit page (the unit's), and
// on the consolidated page (the consolidating unit's signed document): its state and size, the
// drop zone and picker, the upload with its progress.
import { uploadFile, ApiError } from './api.js';
import { $, say, timeShort } from './ui.js';

const MAX_DOCUMENT = 20 * 1024 * 1024; // the daemon's default max_document_size

// The Vietnamese name of a document's state (GET .../status "document", or the signature
// check's state of GET .../submission's document).
export const DOC_STATES = {
  missing: 'Chưa có văn bản',
  unchecked: 'Đã có văn bản (chưa kiểm tra chữ ký số)',
  unsigned: 'Đã có văn bản, không có chữ ký số',
  valid: 'Ký số hợp lệ',
  untrusted: 'Chữ ký số chưa được tin cậy',
  invalid: 'Chữ ký số không hợp lệ',
  modified: 'Chữ ký số không hợp lệ: tệp đã bị sửa sau khi ký',
  expired: 'Chứng thư số đã hết hạn',
};

// A size for people, with a Vietnamese decimal comma: "1,5 MiB", "900 KiB".
export function sizeWords(bytes) {
  if (bytes >= 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1).replace('.', ',').replace(/,0$/, '') + ' MiB';
  return Math.ceil(bytes / 1024) + ' KiB';
}

// The line describing a document: its signatures in the daemon's words ("Ký số hợp lệ —
// Nguyễn Văn A, Sở Tài chính, 10 giờ 42 ngày 04/12/2026"), or its state without one, its size
// and (unless withTime is false) when it came.
export function documentLine(doc, withTime = true) {
  if (!doc) return DOC_STATES.missing;
  const sigs = Array.isArray(doc.signatures) ? doc.signatures : [];
  const state = sigs.length ? sigs.map((s) => s.message).join('; ')
    : (DOC_STATES[doc.state] || DOC_STATES.unchecked);
  return `${state} · ${sizeWords(doc.size)}${withTime ? ` · gửi lúc ${timeShort(doc.uploaded_at)}` : ''}`;
}

// The badge colour of a document: a signature invalid, changed after signing or expired is
// not shown as a good one.
export function documentClass(doc) {
  if (!doc) return 'missing';
  return ['invalid', 'modified', 'expired'].includes(doc.state) ? 'late' : 'on_time';
}

let chosen = null;

// Shows the document of the unit's report in force; with require_document, a report without
// it is "còn thiếu văn bản" in the unit's state.
export function showDocument(sub, base, required) {
  const doc = sub ? sub.document : null;
  const badge = $('doc-state');
  badge.textContent = documentLine(doc);
  badge.className = 'badge ' + documentClass(doc);
  const link = $('doc-link');
  link.hidden = !doc || doc.file === false;
  link.href = base + '/submission/document';
  $('doc-rule').textContent = required
    ? 'Báo cáo kỳ này phải có văn bản: văn bản chính thức của đơn vị, xuất ra PDF (đã ký số nếu có). Báo cáo chỉ tính đúng hạn khi có đủ số liệu và văn bản trước hạn.'
    : 'Nếu có, gửi kèm văn bản chính thức của đơn vị, xuất ra PDF (đã ký số nếu có).';
  $('doc-send').disabled = !chosen || !sub;
  if (!sub) say($('doc-status'), 'Hãy gửi báo cáo (số liệu) trước hoặc cùng lúc, rồi gửi văn bản.', 'info');
  if (required && sub && !doc && !(sub.review && sub.review.decision === 'returned')) {
    const state = $('state');
    state.textContent = 'Đã gửi số liệu, còn thiếu văn bản';
    state.className = 'badge no_document';
  }
}

// Takes the PDF the person chose or dropped.
function choose(file) {
  const status = $('doc-status');
  chosen = null;
  $('doc-send').disabled = true;
  if (!file) return;
  if (!/\.pdf$/i.test(file.name)) {
    say(status, `Tệp “${file.name}” không phải tệp PDF. Hãy xuất văn bản ra PDF (trong Word: Tệp > Lưu thành > PDF) rồi chọn lại.`, 'error');
    return;
  }
  if (file.size > MAX_DOCUMENT) {
    say(status, `Tệp lớn hơn ${sizeWords(MAX_DOCUMENT)}. Hãy xuất lại văn bản ra PDF với kích thước nhỏ hơn rồi chọn lại.`, 'error');
    return;
  }
  chosen = file;
  $('doc-file-name').textContent = `Đã chọn: ${file.name} (${sizeWords(file.size)})`;
  say(status, 'Hãy bấm “Gửi văn bản”.', 'info');
  $('doc-send').disabled = false;
}

// Where the unit's document goes, and what its answer says.
function unitTarget(base) {
  return {
    url: () => base + '/submission/document',
    sent: (code, body) => (code === 200 ? 'Văn bản này giống hệt văn bản đã gửi: giữ nguyên.'
      : `Đã gửi văn bản (${sizeWords(body.document.size)}), kèm phiên bản báo cáo số ${body.version}.`),
  };
}

// Sends the chosen PDF to target.url() and shows what came of it (target.sent).
async function send(target, refresh) {
  if (!chosen) return;
  const status = $('doc-status');
  const bar = $('doc-progress');
  const button = $('doc-send');
  button.disabled = true;
  bar.value = 0;
  bar.hidden = false;
  say(status, 'Đang gửi văn bản…', 'info');
  try {
    const { status: code, body } = await uploadFile(target.url(), chosen, (p) => {
      bar.value = p;
    }, 'application/pdf');
    bar.value = 1;
    if (code === 422) {
      say(status, body && body.error ? body.error.message : 'Tệp PDF không được nhận.', 'error');
    } else {
      say(status, target.sent(code, body), 'ok');
      chosen = null;
      $('doc-file-name').textContent = '';
      await refresh();
    }
  } catch (err) {
    say(status, err instanceof ApiError ? err.message : 'Không gửi được văn bản. Hãy thử lại.', 'error');
  } finally {
    bar.hidden = true;
    button.disabled = !chosen;
  }
}

// Wires the PDF's picker, drop zone and button; the upload goes to the unit's document unless
// target ({url(), sent(code, body)}) names another.
export function wireDocument(base, refresh, target = unitTarget(base)) {
  const drop = $('doc-drop');
  $('doc-file').addEventListener('change', (e) => choose(e.target.files[0]));
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  }
  for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    choose(e.dataTransfer.files[0]);
  });
  $('doc-send').addEventListener('click', () => send(target, refresh));
}
