// The recipient's page: the consolidated reports delivered to its unit, by period, every
// version with its time, its "bổ sung" mark, the workbook and the signed document (with its
// signature line) to download, and its acknowledgement.
import { api, loadMe, ApiError } from './api.js';
import { $, el, header, timeWords, pageError } from './ui.js';
import { documentLine, documentClass } from './document.js';

const enc = encodeURIComponent;

// The acknowledgement of a version: who marked it received and when, or the button that does.
function ackPart(series, period, v) {
  const done = (a) => el('span', { class: 'ack-done', text: `✓ Đã tiếp nhận · ${a.acknowledged_by}${a.acknowledged_unit ? ' (' + a.acknowledged_unit + ')' : ''} · ${timeWords(a.acknowledged_at)}` });
  if (v.acknowledged_at) return done(v);
  const box = el('span', { class: 'ack' });
  const button = el('button', { type: 'button', class: 'small', text: 'Đã tiếp nhận', title: `Xác nhận đơn vị đã nhận phiên bản ${v.version}` });
  const status = el('span', { class: 'field-error', role: 'status' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const a = await api('POST', `/api/v1/series/${enc(series)}/periods/${enc(period)}/consolidated/ack?n=${v.version}`, {});
      box.replaceChildren(done(a));
    } catch (err) {
      status.textContent = err.message;
      button.disabled = false;
    }
  });
  box.append(button, status);
  return box;
}

// The signed document of a version and its signature line, a note that none came, or (docs
// null: the period's list could not be read) a note saying to reload.
function versionDocument(p, v, docs) {
  if (docs === null) return el('span', { class: 'field-error doc-line', role: 'status', text: 'Chưa tải được thông tin văn bản đã ký số; hãy tải lại trang.' });
  const doc = docs.find((d) => d.version === v.version);
  if (!doc) return el('span', { class: 'note doc-line', text: 'Không kèm văn bản đã ký số' });
  return el('span', { class: 'doc-line' },
    el('span', { class: 'doc-sig' }, 'Văn bản đã ký số: ',
      el('span', { class: 'badge ' + documentClass(doc), text: documentLine(doc, false) })),
    el('a', { class: 'button secondary small', href: `${p.base}/consolidated/document?n=${v.version}`, download: true, text: 'Tải về (.pdf)' }));
}

// One card per period, newest first; docs[i] are the signed documents of period i.
function show(doc, docs) {
  const box = $('periods');
  box.replaceChildren(...doc.periods.map((p, i) => el('section', { class: 'card period-card' },
    el('h2', { text: p.title }),
    el('ul', { class: 'versions' }, ...p.versions.map((v) => el('li', {},
      el('span', { class: 'vname', text: `Phiên bản ${v.version}` }),
      v.correction ? el('span', { class: 'badge returned', text: 'bổ sung' }) : el('span', { class: 'badge on_time', text: 'chính thức' }),
      el('span', { class: 'note', text: `${timeWords(v.released_at)}${v.automatic ? ' · gửi tự động' : ''}` }),
      el('a', { class: 'button secondary small', href: v.url, download: v.filename, text: 'Tải về (.xlsx)' }),
      versionDocument(p, v, docs[i]),
      ackPart(doc.series, p.period, v)))))));
  $('none').hidden = doc.periods.length > 0;
}

// The signed documents of each period listed (null where they cannot be read).
function documentsOf(series, doc) {
  return Promise.all(doc.periods.map((p) => {
    p.base = `/api/v1/series/${enc(series)}/periods/${enc(p.period)}`;
    return api('GET', p.base + '/consolidated/documents').then((d) => d.documents, () => null);
  }));
}

async function main() {
  const me = await loadMe();
  header(me);
  const list = me.receives || [];
  if (me.role !== 'recipient' || list.length === 0) {
    throw new Error(me.role === 'recipient'
      ? 'Đơn vị của bạn chưa được chỉ định nhận loại báo cáo tổng hợp nào. Nếu đây là nhầm lẫn, hãy liên hệ quản trị viên.'
      : 'Trang này dành cho đơn vị nhận báo cáo tổng hợp. Hãy về trang chủ để làm việc của bạn.');
  }
  const asked = new URLSearchParams(location.search).get('series');
  const series = list.find((s) => s.name === asked) || list[0];
  if (list.length > 1) {
    const select = $('series');
    for (const s of list) select.append(el('option', { value: s.name, text: s.title, selected: s === series }));
    select.addEventListener('change', () => location.assign('/received.html?series=' + enc(select.value)));
    $('series-field').hidden = false;
  }
  $('series-title').textContent = series.title;
  $('intro').hidden = false;
  const doc = await api('GET', `/api/v1/series/${enc(series.name)}/deliveries`);
  show(doc, await documentsOf(series.name, doc));
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return;
  pageError(err);
});
