/* The consolidating unit's signed document on the consolidated report: PUT
 * .../consolidated/document?n=N attaches it to final version N (the version about to be
 * approved, or an approved one none of whose deliveries has gone out; replaced there only
 * while none has been tried), GET gives it back, GET
 * .../consolidated/documents lists a period's documents with their signatures. */
#include "api.h"
#include "config.h"
#include "consol_document.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "pdfcheck.h"
#include "ratelimit.h"
#include "series.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What ?n= means, for a request that gets it wrong. */
#define BAD_VERSION "Tham số n là số thứ tự của bản báo cáo tổng hợp (1, 2, ...) mà văn bản " \
	"đi kèm."

/* Answers a refusal of consol_document_attach. */
static void attach_refused(struct http_response *rs, enum consol_document_result res, int n,
			   const struct consol_document_stored *d)
{
	char *msg = NULL;
	switch (res) {
	case CONSOL_DOCUMENT_NO_VERSION:
		msg = xasprintf("Không có bản số %d để gắn văn bản. Văn bản đã ký số được tải lên "
				"cho bản sắp phê duyệt (bản số %d), hoặc cho bản đã phê duyệt mà "
				"chưa gửi đi.", n, d->next_version);
		http_error(rs, 404, "no_version", msg);
		break;
	case CONSOL_DOCUMENT_DELIVERED:
		msg = xasprintf("Bản số %d đã được gửi đến nơi nhận nên không gắn thêm văn bản được. "
				"Hãy tải văn bản đã ký số lên cho bản bổ sung số %d rồi phê duyệt: "
				"bản bổ sung được gửi kèm văn bản.", n, d->next_version);
		http_error(rs, 409, "already_delivered", msg);
		break;
	case CONSOL_DOCUMENT_ATTEMPTED:
		msg = xasprintf("Bản số %d đã bắt đầu được gửi đến nơi nhận nên văn bản đi kèm "
				"không thay được nữa (nơi nhận có thể đã có nó). Hãy tải văn bản mới "
				"lên cho bản bổ sung số %d rồi phê duyệt: bản bổ sung được gửi kèm "
				"văn bản.", n, d->next_version);
		http_error(rs, 409, "delivery_attempted", msg);
		break;
	case CONSOL_DOCUMENT_SENDING:
		http_add_header(rs, "Retry-After", "30");
		http_error(rs, 409, "delivery_in_progress", "Bản này đang được gửi đi. Hãy đợi một "
			   "chút rồi xem lại: nếu đã gửi xong, hãy gửi văn bản với bản bổ sung.");
		break;
	case CONSOL_DOCUMENT_FULL:
		metrics_upload_refused("period_storage_full");
		http_error(rs, 413, "period_storage_full", "Các văn bản báo cáo tổng hợp của kỳ này "
			   "đã dùng hết dung lượng cho phép; văn bản này không được nhận. Hãy liên "
			   "hệ quản trị viên.");
		break;
	default:
		break;
	}
	free(msg);
}

/* PUT .../consolidated/document?n=N: the signed document of final version N. */
void api_consol_document_put(struct http_request *rq, struct http_response *rs,
			     const struct api_ctx *cx)
{
	int n = api_version_param(rq, rs, BAD_VERSION);
	if (n == 0)
		return;
	const struct config *cfg = config_current();
	if (!api_pdf_body_ok(rq, rs, cx, "a signed document of the consolidated report"))
		return;
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "consolidated document", &pi))
		return;
	if (pi.skipped) {
		http_error(rs, 409, "period_skipped", "Kỳ này không yêu cầu báo cáo nên không có báo "
			   "cáo tổng hợp.");
		period_info_free(&pi);
		return;
	}
	struct consol_document_upload up = {
		.pi = &pi, .version = n, .who = &cx->who, .pdf = rq->body, .len = rq->body_len,
		.now = rq->received_at, .remote_addr = rq->remote_addr,
		.max_bytes = cfg->max_bytes_per_period,
	};
	struct consol_document_stored d;
	char *err = NULL;
	enum consol_document_result res = consol_document_attach(cx->conn, &up, &d, &err);
	if (res == CONSOL_DOCUMENT_DB) {
		api_db_failed(rs, cx->db, "consolidated document", err);
	} else if (res != CONSOL_DOCUMENT_OK) {
		attach_refused(rs, res, n, &d);
	} else {
		log_info("consolidated", "%s %s: signed document for version %d (%lld bytes)%s",
			 cx->series->name, pi.id, n, d.size, d.repeated ? " (same file again)" : "");
		http_json(rs, d.repeated ? 200 : 201);
		struct json j;
		json_init(&j, &rs->body);
		json_object_begin(&j);
		json_kv_int(&j, "version", n);
		json_kv_bool(&j, "approved", d.approved);
		json_kv_string(&j, "sha256", d.sha256);
		json_kv_int(&j, "size", d.size);
		json_key(&j, "signatures");
		json_raw(&j, d.signatures_json ? d.signatures_json : "[]");
		json_object_end(&j);
	}
	free(d.signatures_json);
	period_info_free(&pi);
}

/* GET .../consolidated/document?n=N: the document as uploaded (recipients: of an approved
 * version only). */
void api_consol_document_get(struct http_request *rq, struct http_response *rs,
			     const struct api_ctx *cx)
{
	int n = api_version_param(rq, rs, BAD_VERSION);
	if (n == 0)
		return;
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "consolidated document", &pi))
		return;
	char *err = NULL;
	PGresult *r = consol_document_file(cx->conn, pi.db_id, n,
					   cx->who.role == ROLE_RECIPIENT, &err);
	period_info_free(&pi);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "consolidated document", err);
		return;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		http_error(rs, 404, "no_document", "Bản báo cáo tổng hợp này chưa có văn bản đã ký "
			   "số. Hãy dùng bảng tổng hợp (.xlsx) hoặc liên hệ đơn vị tổng hợp.");
		return;
	}
	rs->status = 200;
	rs->content_type = CONSOL_DOCUMENT_TYPE;
	strbuf_add(&rs->body, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	char *disp = xasprintf("attachment; filename=\"%s\"", PQgetvalue(r, 0, 1));
	http_add_header(rs, "Content-Disposition", disp);
	http_add_header(rs, "Cache-Control", "no-store");
	free(disp);
	PQclear(r);
}

/* GET .../consolidated/documents: the period's documents (recipients: of approved versions),
 * whether the series requires one, and the version the next approval makes. */
void api_consol_documents_get(struct http_request *rq, struct http_response *rs,
			      const struct api_ctx *cx)
{
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "consolidated documents", &pi))
		return;
	char *err = NULL;
	bool recipient = cx->who.role == ROLE_RECIPIENT;
	char *list = consol_document_list_json(cx->conn, pi.db_id, cx->series->name, recipient,
					       &err);
	int next = list == NULL ? -1 : consol_document_next_version(cx->conn, pi.db_id, &err);
	if (next < 0) {
		free(list);
		period_info_free(&pi);
		api_db_failed(rs, cx->db, "consolidated documents", err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "series", cx->series->name);
	json_kv_string(&j, "period", pi.id);
	json_kv_bool(&j, "required", cx->series->require_consolidated_document);
	if (!recipient)
		json_kv_int(&j, "next_version", next);
	json_key(&j, "documents");
	json_raw(&j, list);
	json_object_end(&j);
	free(list);
	period_info_free(&pi);
}
