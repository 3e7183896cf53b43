// The consolidated report of a period: the live, cut-off and final workbooks, the assessment
// with its history, the signed document of a version, the approval with its confirmation, the
// delivery of every message and its acknowledgement by the recipients.
import { api, ApiError } from './api.js';
import { $, el, say, timeWords, timeShort, pageError } from './ui.js';
import { openCoordinator } from './coord.js';
import { documentLine, documentClass, sizeWords, wireDocument } from './document.js';

const ASSESSMENT_MAX = 20000; // bytes, as the daemon counts
const DELIVERY_STATES = {
  queued: 'Đang chờ gửi', sending: 'Đang gửi', sent: 'Đã gửi', deferred: 'Gửi lại sau',
  failed: 'Không gửi được', expired: 'Quá hạn, đã bỏ', unknown: 'Chưa rõ (đang kiểm tra)',
};
const CHANNELS = { mail: 'Thư điện tử', folder: 'Thư mục dùng chung', http: 'Hệ thống của đơn vị nhận (HTTP)' };
let ctx = null;
let versions = [];
let docs = { required: false, next_version: 1, documents: [] };
let watch = null;

// The workbooks and the report's draft to download.
function showWorkbooks() {
  $('dl-live').href = ctx.base + '/consolidated?version=live';
  const cut = ctx.period.state && ctx.period.state !== 'open' && !ctx.period.skipped;
  $('dl-cutoff').href = ctx.base + '/consolidated?version=cutoff';
  $('dl-cutoff').hidden = !cut;
  $('no-cutoff').hidden = cut;
  $('dl-final').href = ctx.base + '/consolidated?version=final';
  $('dl-final').hidden = versions.length === 0;
  $('no-final').hidden = versions.length > 0;
  // The report's .docx draft from the newest of them: final, else cut-off, else live.
  const edition = versions.length > 0 ? 'final' : cut ? 'cutoff' : 'live';
  $('dl-draft').href = ctx.base + '/consolidated/draft?version=' + edition;
  $('workbooks').hidden = false;
}

// Shows the assessment in force and its earlier versions.
async function loadAssessment() {
  const doc = await api('GET', ctx.base + '/assessment');
  $('assessment-text').value = doc.text;
  count();
  const list = $('history-list');
  list.replaceChildren(...doc.history.map((h, i) => el('li', {},
    el('p', { class: 'note', text: `${timeShort(h.at)} · ${h.by || '—'}${i === 0 ? ' · đang dùng' : ''}` }),
    el('p', { class: 'pre', text: h.text || '(để trống)' }))));
  $('history-title').textContent = `Các lần lưu (${doc.history.length})`;
  $('history').hidden = doc.history.length === 0;
}

// The counter of the assessment (in bytes of UTF-8, the daemon's measure).
function count() {
  const n = new TextEncoder().encode($('assessment-text').value).length;
  $('assessment-count').textContent = `${n}/${ASSESSMENT_MAX} byte`;
  $('assessment-count').className = n > ASSESSMENT_MAX ? 'field-error' : 'note';
}

// Saves the assessment.
async function save() {
  const box = $('assessment-status');
  const text = $('assessment-text').value;
  if (new TextEncoder().encode(text).length > ASSESSMENT_MAX) {
    say(box, 'Đánh giá dài quá 20000 byte. Hãy rút gọn rồi lưu lại.', 'error');
    return;
  }
  try {
    const doc = await api('PUT', ctx.base + '/assessment', { text });
    say(box, doc.message, 'ok');
    await loadAssessment();
  } catch (err) {
    say(box, err.message, 'error');
  }
}

// The signed document of a version (null: none).
function docOf(n) {
  return docs.documents.find((d) => d.version === n) || null;
}

// The signed document's section: the rule, the versions that may take one (the one about to be
// approved, and those approved whose deliveries have not gone out), the chosen one's document.
function showSigned() {
  $('signed-rule').textContent = docs.required
    ? 'Loại báo cáo này gửi kèm văn bản báo cáo tổng hợp đã ký số: tải dự thảo (.docx) ở trên, hoàn thiện, trình ký số, rồi tải tệp PDF đã ký lên đây trước khi phê duyệt. Bản gửi tự động khi đến hạn tổng hợp mà chưa được phê duyệt không kèm văn bản. Bản đã gửi đi không gắn thêm văn bản được: hãy gắn vào bản bổ sung.'
    : 'Nếu có, gửi kèm văn bản báo cáo tổng hợp đã ký số (PDF): văn bản đi cùng bản tổng hợp đến các đơn vị nhận. Bản đã gửi đi không gắn thêm văn bản được: hãy gắn vào bản bổ sung.';
  const select = $('signed-version');
  const kept = select.value;
  const waiting = versions.filter((v) => v.deliveries.length > 0 && !v.deliveries.some((d) => d.state === 'sent'));
  const choices = [[docs.next_version, `Bản sắp phê duyệt (số ${docs.next_version})`],
    ...waiting.map((v) => [v.version, `Bản số ${v.version} (đã phê duyệt, chưa gửi đi)`])];
  select.replaceChildren(...choices.map(([n, text]) => el('option', { value: String(n), text })));
  if (choices.some(([n]) => String(n) === kept)) select.value = kept;
  const n = Number(select.value);
  const doc = docOf(n);
  $('signed-for').textContent = n === docs.next_version ? `bản sắp phê duyệt (số ${n})` : `bản số ${n}`;
  const badge = $('doc-state');
  badge.textContent = doc ? documentLine(doc) : 'Chưa có văn bản';
  badge.className = doc || docs.required ? 'badge ' + documentClass(doc) : 'badge';
  $('doc-link').href = `${ctx.base}/consolidated/document?n=${n}`;
  $('doc-link').hidden = !doc;
  $('signed').hidden = !!ctx.period.skipped;
}

// The line of a delivered version's signed document.
function versionDocument(v) {
  const doc = docOf(v.version);
  if (doc) {
    return el('p', { class: 'note' }, 'Văn bản đã ký số: ',
      el('span', { class: 'badge ' + documentClass(doc), text: documentLine(doc) }), ' ',
      el('a', { href: `${ctx.base}/consolidated/document?n=${v.version}`, download: true, text: 'Tải văn bản (PDF)' }));
  }
  return el('p', { class: 'note' }, el('span', {
    class: docs.required ? 'badge late' : 'badge',
    text: docs.required ? 'Không kèm văn bản đã ký số' + (v.automatic ? ' (gửi tự động khi đến hạn)' : '') : 'Không kèm văn bản',
  }));
}

// What the approval will do, said before it is done.
function explain() {
  const n = versions.length;
  const what = n === 0
    ? 'Phê duyệt sẽ lập bản báo cáo tổng hợp chính thức từ số liệu hiện có (kèm đánh giá đã lưu) và gửi ngay cho các đơn vị nhận báo cáo qua thư điện tử và các kênh đã cấu hình.'
    : `Kỳ này đã có ${n} bản được gửi. Phê duyệt lần nữa sẽ lập phiên bản ${n + 1}, gửi cho các đơn vị nhận với ghi chú “bổ sung”; các bản trước vẫn được giữ.`;
  const doc = docOf(docs.next_version);
  const withDoc = doc ? ` Văn bản đã ký số (${sizeWords(doc.size)}) được gửi kèm.`
    : docs.required ? ' Chưa có văn bản đã ký số cho bản này: hãy tải văn bản lên trước khi phê duyệt.' : '';
  $('approve-what').textContent = what + withDoc;
  $('confirm-text').textContent = what + withDoc + ' Bản đã gửi không thu hồi được. Bạn có chắc muốn phê duyệt?';
  $('approve').hidden = !!ctx.period.skipped;
}

// Whether a recipient marked the version received ("Đã tiếp nhận"), who and when.
function ackLine(v) {
  if (!v.acknowledged_at) return el('p', { class: 'note ack-none', text: 'Đơn vị nhận chưa xác nhận đã tiếp nhận bản này.' });
  return el('p', { class: 'ack-done', text: `✓ Đã tiếp nhận: ${v.acknowledged_by}${v.acknowledged_unit ? ' (' + v.acknowledged_unit + ')' : ''}, ${timeWords(v.acknowledged_at)}` });
}

// The consolidating unit's own delivery: the first version sent by the deadline or late.
function deliveryLine(d) {
  return el('p', { class: 'delivery-own' }, `${d.name || d.unit} gửi bản đầu tiên lúc ${timeWords(d.delivered_at)}: `,
    el('span', { class: 'badge ' + (d.on_time ? 'on_time' : 'late'), text: d.on_time ? 'đúng hạn' : 'muộn' }),
    ` (hạn tổng hợp ${timeWords(d.deadline)}).`);
}

// The final versions and the delivery of each of their messages.
async function loadVersions() {
  const [doc, signed] = await Promise.all([api('GET', ctx.base + '/consolidated/versions'),
    api('GET', ctx.base + '/consolidated/documents')]);
  versions = doc.versions;
  docs = signed;
  const list = $('deliveries-list');
  list.replaceChildren(...[...versions].reverse().map((v) => {
    const rows = v.deliveries.map((d) => el('tr', {},
      el('td', { text: CHANNELS[d.channel] || d.channel }),
      el('td', { class: 'wrap', text: d.recipient }),
      el('td', {}, el('span', { class: 'badge delivery ' + d.state, text: DELIVERY_STATES[d.state] || d.state })),
      el('td', { text: d.sent_at ? timeShort(d.sent_at) : '—' }),
      el('td', { class: 'wrap', text: d.last_error || '' })));
    const who = v.automatic ? 'gửi tự động khi đến hạn tổng hợp' : `phê duyệt bởi ${v.approved_by || '—'}`;
    return el('div', { class: 'version' },
      el('h3', {}, `Phiên bản ${v.version}`, v.correction ? el('span', { class: 'badge returned', text: 'bổ sung' }) : null),
      el('p', { class: 'note', text: `${timeWords(v.approved_at || v.built_at)} · ${who} · ` },
        el('a', { href: `${ctx.base}/consolidated?version=final&n=${v.version}`, download: true, text: 'Tải bản này' })),
      versionDocument(v),
      ackLine(v),
      el('div', { class: 'scroll' }, el('table', { class: 'list' },
        el('thead', {}, el('tr', {}, ...['Kênh', 'Nơi nhận', 'Tình trạng', 'Lúc gửi', 'Lỗi gần nhất'].map((t) => el('th', { scope: 'col', text: t })))),
        el('tbody', {}, ...rows))));
  }));
  if (doc.delivery && doc.delivery.delivered_at) list.prepend(deliveryLine(doc.delivery));
  $('deliveries-none').hidden = versions.length > 0;
  $('deliveries').hidden = false;
  // While a message is still on its way, look again every 5 seconds.
  const moving = versions.some((v) => v.deliveries.some((d) => ['queued', 'sending', 'deferred', 'unknown'].includes(d.state)));
  if (moving && !watch) watch = setInterval(() => loadVersions().catch(() => {}), 5000);
  if (!moving && watch) {
    clearInterval(watch);
    watch = null;
  }
  explain();
  showSigned();
  showWorkbooks();
}

// The approval: the confirmation, then the answer.
function wireApprove() {
  const status = $('approve-status');
  $('approve-open').addEventListener('click', () => {
    $('confirm').hidden = false;
    $('approve-yes').focus();
  });
  $('approve-no').addEventListener('click', () => {
    $('confirm').hidden = true;
    $('approve-open').focus();
  });
  $('approve-yes').addEventListener('click', async () => {
    $('approve-yes').disabled = true;
    try {
      const doc = await api('POST', ctx.base + '/approve', {});
      say(status, `${doc.message} Phiên bản ${doc.version}${doc.correction ? ' (bổ sung)' : ''}, ${doc.deliveries} lượt gửi.`, 'ok');
      $('confirm').hidden = true;
      $('doc-status').hidden = true;
      await loadVersions();
    } catch (err) {
      const next = err.code === 'not_yet' ? ' Hãy phê duyệt sau hạn gửi của các đơn vị.' : '';
      say(status, err.message + next, 'error');
      $('confirm').hidden = true;
    } finally {
      $('approve-yes').disabled = false;
    }
  });
}

async function main() {
  ctx = await openCoordinator();
  $('series-title').textContent = ctx.series.title;
  $('period-title').textContent = ctx.period.title;
  $('deadline').textContent = ctx.period.skipped ? 'Kỳ này không yêu cầu báo cáo.'
    : `Hạn gửi của các đơn vị: ${ctx.period.unit_deadline_text || timeWords(ctx.period.unit_deadline)}. Hạn tổng hợp: ${timeWords(ctx.period.consolidation_deadline)}.`;
  $('period').hidden = false;
  $('assessment-text').addEventListener('input', count);
  $('assessment-save').addEventListener('click', save);
  wireApprove();
  $('signed-version').addEventListener('change', showSigned);
  wireDocument(ctx.base, loadVersions, {
    url: () => `${ctx.base}/consolidated/document?n=${$('signed-version').value}`,
    sent: (code, body) => (code === 200 ? 'Văn bản này giống hệt văn bản đã gắn: giữ nguyên.'
      : `Đã gắn văn bản (${sizeWords(body.size)}) vào bản số ${body.version}: ${body.approved
        ? 'văn bản được gửi cùng các lượt gửi chưa đi của bản này.' : 'văn bản được gửi kèm khi phê duyệt bản này.'}`),
  });
  await loadVersions();
  await loadAssessment();
  $('assessment').hidden = false;
}

main().catch((err) => {
  if (err instanceof ApiError && err.status === 401) return;
  pageError(err);
});
