/* The unit's document (PDF): PUT .../submission/document attaches it to the unit's current
 * version, GET gives it back; GET .../documents lists every unit's for the board. */
#include "api.h"
#include "config.h"
#include "db.h"
#include "db_json.h"
#include "documents.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "pdfcheck.h"
#include "ratelimit.h"
#include "series.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The period of the path for a document; false after answering. */
static bool document_period(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx, struct period_info *pi)
{
	char *err = NULL;
	enum periods_result pr = periods_lookup(cx->conn, cx->series,
						route_param(&rq->params, "period"), rq->received_at,
						pi, &err);
	if (pr != PERIODS_OK) {
		api_period_failed(rs, cx->db, "document period", pr, err);
		return false;
	}
	return true;
}

/* Whether the body is declared a PDF (Content-Type application/pdf, parameters aside). */
bool api_is_pdf_type(const struct http_request *rq)
{
	const char *ct = http_header(rq, "Content-Type");
	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	size_t n = strlen("application/pdf");
	return strncasecmp(ct, "application/pdf", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Writes the document part of an answer: sha256, size, signatures. */
static void stored_json(struct json *j, const struct document_stored *d)
{
	json_object_begin(j);
	json_kv_string(j, "sha256", d->sha256);
	json_kv_int(j, "size", d->size);
	json_key(j, "signatures");
	json_raw(j, d->signatures_json ? d->signatures_json : "[]");
	json_object_end(j);
}

/* Checks the body of a PUT of a PDF document (a unit's, or the consolidated report's signed
 * one): declared a PDF, not empty, within max_document_size and the caller's upload rate,
 * passing pdfcheck; false after answering. what names it in the log. */
bool api_pdf_body_ok(struct http_request *rq, struct http_response *rs,
		     const struct api_ctx *cx, const char *what)
{
	const struct config *cfg = config_current();
	if (!api_is_pdf_type(rq)) {
		metrics_upload_refused("unsupported_media_type");
		http_error(rs, 415, "unsupported_media_type", "Văn bản báo cáo gửi dạng PDF "
			   "(Content-Type: application/pdf).");
		return false;
	}
	if (rq->body_len == 0) {
		http_error(rs, 400, "empty_body", "Chưa có nội dung: hãy chọn tệp văn bản PDF rồi "
			   "gửi lại.");
		return false;
	}
	if ((long long)rq->body_len > cfg->max_document_size) {
		char *msg = xasprintf("Tệp văn bản vượt quá giới hạn: văn bản PDF tối đa %lld KiB. "
				      "Hãy xuất lại văn bản ra PDF với kích thước nhỏ hơn rồi gửi "
				      "lại.", cfg->max_document_size / 1024);
		http_error(rs, 413, "body_too_large", msg);
		free(msg);
		return false;
	}
	int retry = 60;
	if (!ratelimit_allow(cx->who.account_id, cfg->uploads_per_minute, rq->received_at,
			     &retry)) {
		char after[16];
		snprintf(after, sizeof after, "%d", retry > 0 ? retry : 1);
		metrics_upload_refused("too_many_uploads");
		http_error(rs, 429, "too_many_uploads", "Bạn đã gửi quá nhiều lần trong một phút. "
			   "Hãy đợi một chút rồi gửi lại.");
		http_add_header(rs, "Retry-After", after);
		return false;
	}
	enum pdfcheck_result pc = pdfcheck(rq->body, rq->body_len);
	if (pc != PDFCHECK_OK) {
		log_info("intake", "%s %s: %s refused: %s", cx->series->name,
			 cx->unit[0] ? cx->unit : "-", what, pdfcheck_code(pc));
		metrics_upload_refused(pdfcheck_code(pc));
		http_error(rs, 422, pdfcheck_code(pc), pdfcheck_message(pc));
		return false;
	}
	return true;
}

/* PUT .../submission/document: the unit's document for its current version. */
void api_document_put(struct http_request *rq, struct http_response *rs,
		      const struct api_ctx *cx)
{
	struct period_info pi;
	if (!document_period(rq, rs, cx, &pi))
		return;
	if (pi.skipped || pi.db_id == 0) {
		http_error(rs, 409, "no_submission", "Đơn vị chưa gửi báo cáo kỳ này. Văn bản đi "
			   "kèm báo cáo: hãy gửi báo cáo (số liệu) trước hoặc cùng lúc, rồi gửi "
			   "văn bản.");
		goto out;
	}
	if (!api_pdf_body_ok(rq, rs, cx, "a unit's document"))
		goto out;
	const struct config *cfg = config_current();
	struct document_upload up = {
		.period_id = pi.db_id, .unit = cx->unit, .who = &cx->who,
		.on_behalf = cx->on_behalf, .pdf = rq->body, .len = rq->body_len,
		.now = rq->received_at, .remote_addr = rq->remote_addr,
		.max_bytes = cfg->max_bytes_per_period,
	};
	struct document_stored d;
	char *err = NULL;
	enum document_result dr = documents_attach(cx->conn, &up, &d, &err);
	switch (dr) {
	case DOCUMENT_OK:
		break;
	case DOCUMENT_NO_VERSION:
		http_error(rs, 409, "no_submission", "Đơn vị chưa gửi báo cáo kỳ này. Văn bản đi "
			   "kèm báo cáo: hãy gửi báo cáo (số liệu) trước hoặc cùng lúc, rồi gửi "
			   "văn bản.");
		goto out_stored;
	case DOCUMENT_PERIOD_FULL:
		metrics_upload_refused("period_storage_full");
		http_error(rs, 413, "period_storage_full", "Các lần gửi của đơn vị cho kỳ này đã "
			   "dùng gần hết dung lượng cho phép; văn bản này vượt quá phần còn lại nên "
			   "không được nhận. Hãy liên hệ đơn vị tổng hợp báo cáo.");
		goto out_stored;
	default: {
		char *what = xasprintf("document %s %s %s", cx->series->name, pi.id, cx->unit);
		api_db_failed(rs, cx->db, what, err);
		free(what);
		goto out_stored;
	}
	}
	log_info("intake", "%s %s %s: document for version %d (%lld bytes)%s", cx->series->name,
		 pi.id, cx->unit, d.version, d.size, d.repeated ? " (same file again)" : "");
	http_json(rs, d.repeated ? 200 : 201);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_int(&j, "version", d.version);
	json_key(&j, "document");
	stored_json(&j, &d);
	json_object_end(&j);
out_stored:
	free(d.signatures_json);
out:
	period_info_free(&pi);
}

/* The file name of a document: only ASCII letters, digits and '-' (the series, period and
 * unit codes are so already; anything else becomes '-'). */
static char *document_file_name(const char *series, const char *period, const char *unit,
				unsigned version)
{
	char *name = xasprintf("van-ban-%s-%s-%s-v%u.pdf", series, period, unit, version);
	for (char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
			*c = '-';
	return name;
}

/* GET .../submission/document[?version=N]: the document as uploaded (recipients: of the
 * version in force only). */
void api_document_get(struct http_request *rq, struct http_response *rs,
		      const struct api_ctx *cx)
{
	struct period_info pi;
	if (!document_period(rq, rs, cx, &pi))
		return;
	char *version = http_query_param(rq, "version"), *err = NULL;
	PGresult *r = documents_file(cx->conn, pi.db_id, cx->unit, version, &err);
	free(version);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "document", err);
		goto out;
	}
	if (api_recipient_superseded(cx, r, 4, rs)) {
		PQclear(r);
		goto out;
	}
	if (PQntuples(r) == 0 || PQgetisnull(r, 0, 0)) {
		bool none = PQntuples(r) == 0;
		/* binary bools: one byte each */
		bool removed = !none && PQgetlength(r, 0, 2) == 1 && PQgetvalue(r, 0, 2)[0] == 1;
		PQclear(r);
		if (none)
			http_error(rs, 404, "no_submission", "Đơn vị chưa gửi báo cáo kỳ này (hoặc "
				   "không có phiên bản này).");
		else if (removed)
			http_error(rs, 404, "file_removed", "Tệp văn bản của phiên bản này đã được "
				   "xoá khi hết thời hạn lưu trữ.");
		else
			http_error(rs, 404, "no_document", "Phiên bản báo cáo này chưa có văn bản "
				   "kèm theo.");
		goto out;
	}
	rs->status = 200;
	rs->content_type = "application/pdf";
	strbuf_add(&rs->body, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	uint32_t version_be;
	memcpy(&version_be, PQgetvalue(r, 0, 1), sizeof version_be);
	char *name = document_file_name(cx->series->name, pi.id, cx->unit, ntohl(version_be));
	char *disp = xasprintf("attachment; filename=\"%s\"", name);
	http_add_header(rs, "Content-Disposition", disp);
	free(disp);
	free(name);
	PQclear(r);
out:
	period_info_free(&pi);
}

/* GET .../documents: the document of each unit's version in force, with its signatures and
 * their line in words, for the board (the units without one are not listed). */
void api_documents_list(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx)
{
	struct period_info pi;
	if (!document_period(rq, rs, cx, &pi))
		return;
	char *err = NULL;
	PGresult *r = pi.db_id ? documents_of_period(cx->conn, pi.db_id, &err) : NULL;
	if (pi.db_id && r == NULL) {
		api_db_failed(rs, cx->db, "period documents", err);
		goto out;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "series", cx->series->name);
	json_kv_string(&j, "period", pi.id);
	json_key(&j, "documents");
	static const struct db_json_col cols[] = {
		{ "unit", DBJ_TEXT }, { "version", DBJ_INT }, { "sha256", DBJ_TEXT },
		{ "size", DBJ_INT }, { "uploaded_at", DBJ_TEXT }, { "on_time", DBJ_BOOL },
		{ "file", DBJ_BOOL }, { "state", DBJ_TEXT }, { "signatures", DBJ_JSON },
		{ "line", DBJ_TEXT },
	};
	if (r)
		db_json_rows(&j, r, cols, nitems(cols));
	else
		json_raw(&j, "[]");
	json_object_end(&j);
	PQclear(r);
out:
	period_info_free(&pi);
}
