/* Submissions: upload (PUT), the latest one (with its document), its file, its versions, the
 * receipts' key. */
#include "api.h"
#include "authz.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "db_json.h"
#include "documents.h"
#include "extensions.h"
#include "intake.h"
#include "json.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "series_store.h"
#include "submissions.h"
#include "units.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_REPORT_MAX (1024 * 1024)	/* a report as JSON: 30 tasks take a few KiB */
#define XLSX_MIME "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* Who asks about which unit's report in which period. */
struct target {
	const struct principal *who;
	const struct series_def *series;
	struct period_info period;
	const char *unit;
	PGconn *conn;
};

/* Finds the period a request is about (the gate has checked who may ask for which unit). */
static bool target_resolve(struct http_request *rq, struct http_response *rs,
			   const struct api_ctx *cx, struct target *t)
{
	memset(t, 0, sizeof *t);
	t->who = &cx->who;
	t->series = cx->series;
	t->unit = cx->unit;
	t->conn = cx->conn;
	char *err = NULL;
	enum periods_result pr = periods_lookup(t->conn, t->series,
						route_param(&rq->params, "period"), rq->received_at,
						&t->period, &err);
	if (pr != PERIODS_OK) {
		api_period_failed(rs, cx->db, "submission period", pr, err);
		return false;
	}
	return true;
}

/* Frees what a target holds. */
static void target_free(struct target *t)
{
	period_info_free(&t->period);
}

/* Names another unit for messages: "Sở Tài chính", or NULL. */
static char *other_unit_name(void *arg, const char *code)
{
	return units_name(arg, code);
}

/* Loads the intake context; writes the error answer and returns false when it cannot. */
static bool context_load(struct http_response *rs, struct db *db, struct target *t,
			 struct intake_context *ctx, time_t now)
{
	const struct config *cfg = config_current();
	char *err = NULL;
	enum intake_result ir = intake_load_context(t->conn, t->series, &t->period, t->unit,
						    now, (size_t)cfg->max_text_length,
						    keys_server()->mac, ctx, &err);
	switch (ir) {
	case INTAKE_OK:
		ctx->other_unit_name = other_unit_name;
		ctx->unit_name_arg = t->conn;
		return true;
	case INTAKE_UNKNOWN_UNIT:
		metrics_upload_refused("unknown_unit");
		http_error(rs, 404, "unknown_unit", "Không có đơn vị với mã này. Hãy kiểm tra lại "
			   "mã đơn vị.");
		break;
	case INTAKE_NOT_MEMBER:
		metrics_upload_refused("not_a_member");
		http_error(rs, 403, "not_a_member", "Đơn vị này không thuộc diện gửi loại báo cáo "
			   "này. Nếu cần, hãy đề nghị quản trị viên bổ sung.");
		break;
	default:
		api_db_failed(rs, db, "intake context", err);
	}
	intake_context_free(ctx);
	return false;
}

/* The media type of the body without parameters, lower-cased, in buf. */
static const char *media_type(const struct http_request *rq, char buf[128])
{
	const char *ct = http_header(rq, "Content-Type");
	size_t n = 0;
	for (; ct && ct[n] && ct[n] != ';' && n < 127; n++)
		buf[n] = (char)(ct[n] >= 'A' && ct[n] <= 'Z' ? ct[n] + 32 : ct[n]);
	buf[n] = '\0';
	str_trim(buf);
	return buf;
}

/* A size for people, with a Vietnamese decimal comma: "50 MiB", "1,5 MiB", "900 KiB". */
static void size_words(long long bytes, char *buf, size_t len)
{
	const long long mib = 1024 * 1024;
	long long tenths = (bytes * 10 + mib / 2) / mib;
	if (bytes >= mib && tenths % 10 == 0)
		snprintf(buf, len, "%lld MiB", tenths / 10);
	else if (bytes >= mib)
		snprintf(buf, len, "%lld,%lld MiB", tenths / 10, tenths % 10);
	else
		snprintf(buf, len, "%lld KiB", (bytes + 1023) / 1024);
}

/* Answers an upload refused by the period's quota (429 versions, 413 bytes): what was reached,
 * and that the coordinating unit (named when the series has one) is who can help. */
static void quota_refused(struct http_response *rs, const struct target *t,
			  enum intake_result ir, const struct intake_quota *quota, size_t len)
{
	char *name = t->series->consolidator && t->series->consolidator[0] ?
		     other_unit_name(t->conn, t->series->consolidator) : NULL;
	char *whom = name ? xasprintf("đơn vị tổng hợp báo cáo (%s)", name)
			  : xstrdup("đơn vị tổng hợp báo cáo");
	if (ir == INTAKE_TOO_MANY_VERSIONS) {
		char *msg = xasprintf("Đơn vị đã gửi %lld phiên bản báo cáo cho kỳ này, đạt số lần "
				      "gửi tối đa của một kỳ (%lld); hệ thống không nhận thêm phiên "
				      "bản mới. Nếu cần sửa báo cáo, hãy liên hệ %s.",
				      quota->versions, quota->max_versions, whom);
		metrics_upload_refused("too_many_versions");
		http_error(rs, 429, "too_many_versions", msg);
		free(msg);
	} else {
		char used[32], limit[32], size[32];
		size_words(quota->bytes, used, sizeof used);
		size_words(quota->max_bytes, limit, sizeof limit);
		size_words((long long)len, size, sizeof size);
		char *msg = xasprintf("Các lần gửi của đơn vị cho kỳ này đã dùng %s trong %s dung "
				      "lượng cho phép; tệp này (%s) vượt quá phần còn lại nên không "
				      "được nhận. Nếu cần sửa báo cáo, hãy liên hệ %s.", used, limit,
				      size, whom);
		metrics_upload_refused("period_storage_full");
		http_error(rs, 413, "period_storage_full", msg);
		free(msg);
	}
	log_warn("intake", "%s %s %s: refused, the period's %s are used up (%lld versions, "
		 "%lld bytes stored)", t->series->name, t->period.id, t->unit,
		 ir == INTAKE_TOO_MANY_VERSIONS ? "versions" : "bytes", quota->versions,
		 quota->bytes);
	free(whom);
	free(name);
}

/* Counts an upload against the caller's uploads_per_minute; true (answered 429) past it.
 * Counted before the upload is opened, so that refusals cost a try too. */
static bool rate_refused(const struct http_request *rq, struct http_response *rs,
			 long long account_id)
{
	int retry = 60;
	if (ratelimit_allow(account_id, config_current()->uploads_per_minute, rq->received_at,
			    &retry))
		return false;
	char after[16];
	snprintf(after, sizeof after, "%d", retry > 0 ? retry : 1);
	metrics_upload_refused("too_many_uploads");
	http_error(rs, 429, "too_many_uploads", "Bạn đã gửi quá nhiều lần trong một phút. "
		   "Hãy đợi một chút rồi gửi lại.");
	http_add_header(rs, "Retry-After", after);
	return true;
}

/* Answers a refusal about the period; a workbook that named it (found, its title) says so
 * first: "Biểu mẫu này dành cho Tuần 49 năm 2026 (...): ...". */
static void period_refused(struct http_response *rs, int status, const char *code,
			   const char *found, const char *message)
{
	metrics_upload_refused(code);
	if (found == NULL) {
		http_error(rs, status, code, message);
		return;
	}
	char *text = xasprintf("Biểu mẫu này dành cho %s. %s", found, message);
	http_error(rs, status, code, text);
	free(text);
}

/* Checks and stores an upload for the target (its period resolved); found is the title of
 * the period a workbook named itself (PUT /api/v1/submissions), NULL on the period's own
 * route. Answers the receipt, or why not. */
static void submission_store(struct http_request *rq, struct http_response *rs,
			     const struct api_ctx *cx, const struct target *tp, const char *found)
{
	struct target t = *tp;	/* a shallow copy: the caller frees what it holds */
	if (t.period.skipped) {
		period_refused(rs, 409, "period_skipped", found, "Kỳ này không yêu cầu báo cáo "
			       "(không có ngày làm việc). Không cần gửi.");
		return;
	}
	if (t.period.db_id == 0 || (t.period.has_span && rq->received_at < t.period.starts)) {
		char *why = window_text(&t.period, NULL, rq->received_at);
		period_refused(rs, 409, "period_not_open", found, why);
		free(why);
		return;
	}
	char mt[128];
	media_type(rq, mt);
	bool is_json = strcmp(mt, "application/json") == 0;
	bool is_xlsx = strcmp(mt, XLSX_MIME) == 0 || strcmp(mt, "application/octet-stream") == 0;
	if (!is_json && !is_xlsx) {
		metrics_upload_refused("unsupported_media_type");
		http_error(rs, 415, "unsupported_media_type",
			   "Hãy gửi tệp .xlsx (Content-Type: " XLSX_MIME ") hoặc JSON "
			   "(Content-Type: application/json).");
		return;
	}
	if (is_json && rq->body_len > JSON_REPORT_MAX) {
		metrics_upload_refused("body_too_large");
		http_error(rs, 413, "body_too_large", "Báo cáo dạng JSON tối đa 1 MiB. Hãy gửi tệp "
			   ".xlsx, hoặc rút gọn nội dung rồi gửi lại.");
		return;
	}
	if (rq->body_len == 0) {
		metrics_upload_refused("empty_body");
		http_error(rs, 400, "empty_body", "Chưa có nội dung: hãy chọn tệp báo cáo rồi gửi lại.");
		return;
	}
	const struct config *cfg = config_current();
	if (found == NULL && rate_refused(rq, rs, t.who->account_id))	/* found: counted */
		return;
	struct intake_context ctx;
	if (!context_load(rs, cx->db, &t, &ctx, rq->received_at))
		return;
	struct intake_report report;
	struct intake_errors errs = { 0 };
	if (is_json)
		intake_read_json(&ctx, (const char *)rq->body, rq->body_len, &report, &errs);
	else
		intake_read_xlsx(&ctx, rq->body, rq->body_len, &report, &errs);
	if (errs.n > 0) {
		log_info("intake", "%s %s %s: refused with %zu errors", t.series->name, t.period.id,
			 t.unit, errs.n);
		metrics_upload_refused("validation_failed");
		http_json(rs, 422);
		intake_errors_json(&errs, &rs->body);
		goto out_report;
	}
	struct intake_receipt receipt;
	char *err = NULL;
	struct intake_quota quota = { cfg->max_versions_per_period, cfg->max_bytes_per_period,
				      0, 0 };
	enum intake_result ir = intake_store(t.conn, &ctx, &report, t.who, cx->on_behalf,
					     /* JSON with the session cookie: the pages' form */
					     is_json ? (cx->by_session ? "web" : "api") : "xlsx",
					     rq->body, rq->body_len, &quota,
					     rq->remote_addr, rq->received_at, keys_server(), &receipt,
					     &err);
	if (ir == INTAKE_TOO_MANY_VERSIONS || ir == INTAKE_PERIOD_FULL) {
		quota_refused(rs, &t, ir, &quota, rq->body_len);
		goto out_report;
	}
	if (ir != INTAKE_OK) {
		char *what = xasprintf("intake %s %s %s", t.series->name, t.period.id, t.unit);
		api_db_failed(rs, cx->db, what, err);
		free(what);
		goto out_report;
	}
	log_info("intake", "%s %s %s: version %d%s%s", t.series->name, t.period.id, t.unit,
		 receipt.version, receipt.on_time ? "" : " (late)",
		 receipt.repeated ? " (same file again)" : "");
	metrics_count(MC_UPLOADS_ACCEPTED);
	http_json(rs, receipt.repeated ? 200 : 201);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	intake_receipt_members(&j, &receipt);
	if (found != NULL) {
		/* where it went, for the page that sent it (it may show another period) */
		char *msg = xasprintf("Đã nhận biểu mẫu của %s (%s) cho %s.",
				      ctx.unit_name, t.unit, found);
		json_kv_string(&j, "series_title", t.series->title);
		json_kv_string(&j, "period_title", found);
		json_kv_string(&j, "message", msg);
		free(msg);
	}
	json_object_end(&j);
out_report:
	intake_errors_free(&errs);
	intake_report_free(&report);
	intake_context_free(&ctx);
}

/* PUT .../submission: the unit's report, as the workbook (raw body) or as JSON. */
void api_submission_put(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	struct target t;
	if (target_resolve(rq, rs, cx, &t))
		submission_store(rq, rs, cx, &t, NULL);
	target_free(&t);
}

/* Answers for a workbook PUT /api/v1/submissions cannot place: what its hidden sheet lacks. */
static void identity_refused(struct http_response *rs, enum intake_identify id, const char *detail)
{
	metrics_upload_refused("validation_failed");
	switch (id) {
	case INTAKE_ID_UNREADABLE:
		http_error(rs, 422, "not_a_workbook", detail ? detail : "Không đọc được tệp Excel.");
		break;
	case INTAKE_ID_NONE:
		http_error(rs, 422, "no_identity", "Tệp này không có phần nhận dạng ẩn của biểu mẫu "
			   "(loại báo cáo, kỳ, đơn vị), nên hệ thống không biết gửi vào kỳ nào. Hãy "
			   "mở trang của kỳ cần báo cáo rồi gửi tệp ở đó, hoặc tải biểu mẫu của kỳ đó "
			   "và nhập lại.");
		break;
	case INTAKE_ID_OLD:
		http_error(rs, 422, "bad_identity", "Biểu mẫu này thuộc một phiên bản cũ, không còn "
			   "được hỗ trợ. Hãy tải biểu mẫu mới của kỳ cần báo cáo và nhập lại.");
		break;
	default:
		http_error(rs, 422, "bad_identity", "Phần nhận dạng ẩn của biểu mẫu (loại báo cáo, "
			   "kỳ, đơn vị) không đầy đủ hoặc đã bị sửa đổi. Hãy tải biểu mẫu mới của kỳ "
			   "cần báo cáo và nhập lại.");
	}
}

/* The series and unit a workbook names, when the caller may report for that unit (as on the
 * period's PUT .../submission): fills c; else answers and returns false. */
static bool found_target(struct http_response *rs, const struct api_ctx *cx,
			 const struct intake_identity *id, struct api_ctx *c)
{
	*c = *cx;
	c->series = series_current_find(id->series);
	if (c->series == NULL) {
		metrics_upload_refused("other");
		char *msg = xasprintf("Biểu mẫu này thuộc loại báo cáo “%s”, hiện không có trong hệ "
				      "thống. Hãy tải biểu mẫu mới trên trang Báo cáo rồi nhập lại.",
				      id->series);
		http_error(rs, 404, "unknown_series", msg);
		free(msg);
		return false;
	}
	snprintf(c->unit, sizeof c->unit, "%s", id->unit);
	c->on_behalf = strcmp(id->unit, cx->who.unit_code) != 0;
	enum authz_action a = c->on_behalf ? ACT_REPORT_FILE_FOR : ACT_REPORT_WRITE;
	if (authz_may(&cx->who, a, c->series, c->unit) == AUTHZ_ALLOW)
		return true;
	log_info("authz", "PUT /api/v1/submissions: %s (%s) may not %s for unit %s of %s",
		 cx->who.login, cx->who.unit_code, authz_action_name(a), c->unit, c->series->name);
	metrics_upload_refused("other");
	char *name = units_name(cx->conn, c->unit);
	char *msg = xasprintf("Biểu mẫu này là của %s (%s); tài khoản của bạn không được gửi báo "
			      "cáo thay đơn vị đó. Hãy tải biểu mẫu của đơn vị mình trên trang Báo "
			      "cáo, nhập lại rồi gửi.", name ? name : c->unit, c->unit);
	http_error(rs, 403, "forbidden_unit", msg);
	free(msg);
	free(name);
	return false;
}

/* PUT /api/v1/submissions: a workbook alone, stored in the series and period and for the unit
 * its hidden sheet names, when the caller may report for that unit there. */
void api_submission_found_put(struct http_request *rq, struct http_response *rs,
			      const struct api_ctx *cx)
{
	char mt[128];
	media_type(rq, mt);
	if (strcmp(mt, XLSX_MIME) != 0 && strcmp(mt, "application/octet-stream") != 0) {
		metrics_upload_refused("unsupported_media_type");
		http_error(rs, 415, "unsupported_media_type", "Đường dẫn này chỉ nhận tệp Excel tải "
			   "từ hệ thống (Content-Type: " XLSX_MIME "). Báo cáo dạng JSON hãy gửi vào "
			   "PUT /api/v1/series/{loại}/periods/{kỳ}/submission.");
		return;
	}
	if (rq->body_len == 0) {
		metrics_upload_refused("empty_body");
		http_error(rs, 400, "empty_body", "Chưa có nội dung: hãy chọn tệp báo cáo rồi gửi lại.");
		return;
	}
	if (rate_refused(rq, rs, cx->who.account_id))
		return;
	struct intake_identity id;
	char *detail = NULL;
	enum intake_identify ir = intake_identify_xlsx(rq->body, rq->body_len, keys_server()->mac,
						       &id, &detail);
	if (ir != INTAKE_ID_OK) {
		static const char *const why[] = {
			[INTAKE_ID_UNREADABLE] = "not a workbook", [INTAKE_ID_NONE] = "no meta sheet",
			[INTAKE_ID_INCOMPLETE] = "an incomplete meta sheet",
			[INTAKE_ID_OLD] = "an older template", [INTAKE_ID_ALTERED] = "an altered meta sheet",
		};
		log_info("intake", "PUT /api/v1/submissions by %s: refused, %s", cx->who.login,
			 why[ir]);
		identity_refused(rs, ir, detail);
		free(detail);
		return;
	}
	struct api_ctx c;
	if (!found_target(rs, cx, &id, &c))
		return;
	struct target t;
	memset(&t, 0, sizeof t);
	t.who = &c.who;
	t.series = c.series;
	t.unit = c.unit;
	t.conn = c.conn;
	char *err = NULL;
	enum periods_result pr = periods_lookup(t.conn, t.series, id.period, rq->received_at,
						&t.period, &err);
	if (pr == PERIODS_OK) {
		char title[160];
		if (period_title_vi(&t.period.period, title, sizeof title) != 0)
			snprintf(title, sizeof title, "kỳ %s", t.period.id);
		/* inside a sentence: "tuần 49 năm 2026 (...)", "quý IV năm 2026" (every title
		 * starts with an ASCII letter or digit) */
		if (title[0] >= 'A' && title[0] <= 'Z')
			title[0] = (char)(title[0] - 'A' + 'a');
		submission_store(rq, rs, &c, &t, title);
	} else if (pr == PERIODS_BAD_REQUEST || pr == PERIODS_NOT_FOUND ||
		   pr == PERIODS_OUT_OF_RANGE) {
		free(err);
		metrics_upload_refused("period_not_open");
		char *msg = xasprintf("Biểu mẫu này dành cho kỳ %s của loại báo cáo %s, kỳ này không "
				      "có trong hệ thống hoặc chưa mở. Hãy tải biểu mẫu của kỳ hiện "
				      "tại trên trang Báo cáo rồi nhập lại.", id.period,
				      c.series->title);
		http_error(rs, 404, "unknown_period", msg);
		free(msg);
	} else {
		api_period_failed(rs, cx->db, "submission period", pr, err);
	}
	target_free(&t);
}

/* Writes "document": null, or the document of the version with its signatures. */
static void document_json(struct json *j, PGresult *doc)
{
	json_key(j, "document");
	if (PQntuples(doc) == 0) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_kv_string(j, "sha256", PQgetvalue(doc, 0, 0));
	json_kv_int(j, "size", atoll(PQgetvalue(doc, 0, 1)));
	json_kv_string(j, "uploaded_at", PQgetvalue(doc, 0, 2));
	json_kv_bool(j, "on_time", strcmp(PQgetvalue(doc, 0, 5), "t") == 0);
	json_kv_bool(j, "file", strcmp(PQgetvalue(doc, 0, 6), "t") == 0);
	json_kv_string(j, "state", PQgetisnull(doc, 0, 4) ? "unchecked" : PQgetvalue(doc, 0, 4));
	json_key(j, "signatures");
	json_raw(j, PQgetvalue(doc, 0, 3));
	json_object_end(j);
}

/* Writes the members "extension" (null or the unit's) and "window" (where the unit stands
 * with the period: state and sentence) of the answers about a unit's report. */
static void window_members(struct json *j, const struct target *t, const struct extension *e,
			   time_t now)
{
	json_key(j, "extension");
	extension_json(j, e);
	json_key(j, "window");
	window_json(j, &t->period, e, now);
}

/* The 404 of a unit without a report: the error, and the window and extension that say
 * until when it may send. */
static void no_submission(struct http_response *rs, const struct target *t,
			  const struct extension *e, time_t now)
{
	http_json(rs, 404);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_key(&j, "error");
	json_object_begin(&j);
	json_kv_string(&j, "code", "no_submission");
	json_kv_string(&j, "message", "Đơn vị chưa gửi báo cáo kỳ này.");
	json_object_end(&j);
	window_members(&j, t, e, now);
	json_object_end(&j);
}

/* Whether the caller asked with ?optional=1: no report yet is an answer, not an error. */
static bool optional_asked(const struct http_request *rq)
{
	char *v = http_query_param(rq, "optional");
	bool yes = v != NULL && strcmp(v, "1") == 0;
	free(v);
	return yes;
}

/* Answers 200 {"unit", "series", "period", "submission": null, "extension", "window"}: the
 * unit has not reported. */
static void no_submission_json(struct http_response *rs, const struct target *t,
			       const struct extension *e, time_t now)
{
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "unit", t->unit);
	json_kv_string(&j, "series", t->series->name);
	json_kv_string(&j, "period", t->period.id);
	json_key(&j, "submission");
	json_null(&j);
	window_members(&j, t, e, now);
	json_object_end(&j);
}

/* GET .../submission: the unit's latest report with its items and receipt; none is 404
 * no_submission, or with ?optional=1 a 200 answer whose "submission" is null (the pages ask
 * so, and a unit that has not reported yet is no error in the browser's console). */
void api_submission_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	struct target t;
	if (!target_resolve(rq, rs, cx, &t))
		goto out;
	char *err = NULL;
	struct extension ext = { 0 };
	if (t.period.db_id != 0 && extension_get(t.conn, t.period.db_id, t.unit, &ext, &err) != 0) {
		api_db_failed(rs, cx->db, "submission", err);
		goto out;
	}
	PGresult *r = submissions_current(t.conn, t.period.db_id, t.unit, &err);
	if (r == NULL) {
		extension_free(&ext);
		api_db_failed(rs, cx->db, "submission", err);
		goto out;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		if (optional_asked(rq))
			no_submission_json(rs, &t, &ext, rq->received_at);
		else
			no_submission(rs, &t, &ext, rq->received_at);
		extension_free(&ext);
		goto out;
	}
	struct intake_receipt rc;
	memset(&rc, 0, sizeof rc);
	rc.submission = atoll(PQgetvalue(r, 0, 0));
	rc.version = atoi(PQgetvalue(r, 0, 1));
	rc.received_at = (time_t)atoll(PQgetvalue(r, 0, 2));
	snprintf(rc.sha256, sizeof rc.sha256, "%s", PQgetvalue(r, 0, 3));
	rc.on_time = strcmp(PQgetvalue(r, 0, 4), "t") == 0;
	rc.extended_until = PQgetisnull(r, 0, 14) ? 0 : (time_t)atoll(PQgetvalue(r, 0, 14));
	rc.items = (size_t)atoll(PQgetvalue(r, 0, 5));
	snprintf(rc.signature, sizeof rc.signature, "%s", PQgetvalue(r, 0, 6));
	snprintf(rc.series, sizeof rc.series, "%s", t.series->name);
	snprintf(rc.period, sizeof rc.period, "%s", t.period.id);
	snprintf(rc.unit, sizeof rc.unit, "%s", t.unit);
	char *channel = xstrdup(PQgetvalue(r, 0, 7));
	char *gd = xstrdup(PQgetvalue(r, 0, 8)), *gp = xstrdup(PQgetvalue(r, 0, 9));
	bool on_behalf = strcmp(PQgetvalue(r, 0, 10), "t") == 0;
	char *review = PQgetisnull(r, 0, 11) ? NULL : xstrdup(PQgetvalue(r, 0, 11));
	char *comment = PQgetisnull(r, 0, 12) ? NULL : xstrdup(PQgetvalue(r, 0, 12));
	char *reviewed_at = PQgetisnull(r, 0, 13) ? NULL : xstrdup(PQgetvalue(r, 0, 13));
	PQclear(r);
	PGresult *doc = documents_of_submission(t.conn, rc.submission, &err);
	r = doc ? submissions_items(t.conn, rc.submission, &err) : NULL;
	if (r == NULL) {
		PQclear(doc);
		api_db_failed(rs, cx->db, "submission", err);
		free(channel);
		free(gd);
		free(gp);
		free(review);
		free(comment);
		free(reviewed_at);
		extension_free(&ext);
		goto out;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "unit", t.unit);
	json_kv_string(&j, "channel", channel);
	json_kv_bool(&j, "on_behalf", on_behalf);
	/* The coordinator's review: returned for correction (with the comment) or accepted. */
	json_key(&j, "review");
	if (review == NULL) {
		json_null(&j);
	} else {
		json_object_begin(&j);
		json_kv_string(&j, "decision", review);
		json_key(&j, "comment");
		if (comment)
			json_string(&j, comment);
		else
			json_null(&j);
		json_kv_string(&j, "at", reviewed_at ? reviewed_at : "");
		json_object_end(&j);
	}
	free(review);
	free(comment);
	free(reviewed_at);
	json_key(&j, "receipt");
	intake_receipt_json(&j, &rc);
	window_members(&j, &t, &ext, rq->received_at);
	extension_free(&ext);
	/* the report's own timeliness, in words: "Đúng hạn (gia hạn đến ...)" */
	char *timely = extension_timeliness_text(rc.on_time, rc.extended_until);
	json_kv_string(&j, "timeliness", timely);
	free(timely);
	document_json(&j, doc);
	PQclear(doc);
	static const struct db_json_col items[] = {
		{ "task", DBJ_TEXT_NULL }, { "title", DBJ_TEXT_NULL }, { "status", DBJ_TEXT_NULL },
		{ "progress", DBJ_INT_NULL }, { "completed_on", DBJ_TEXT_NULL },
		{ "result", DBJ_TEXT_NULL }, { "difficulties", DBJ_TEXT_NULL },
		{ "proposals", DBJ_TEXT_NULL }, { "note", DBJ_TEXT_NULL },
	};
	json_key(&j, "items");
	db_json_rows(&j, r, items, nitems(items));
	json_key(&j, "general");
	json_object_begin(&j);
	json_kv_string(&j, "difficulties", gd);
	json_kv_string(&j, "proposals", gp);
	json_object_end(&j);
	json_object_end(&j);
	PQclear(r);
	free(channel);
	free(gd);
	free(gp);
out:
	target_free(&t);
}

/* GET .../submission/file[?version=N]: the workbook as uploaded (recipients: of the version in
 * force only). */
void api_submission_file(struct http_request *rq, struct http_response *rs,
			 const struct api_ctx *cx)
{
	struct target t;
	if (!target_resolve(rq, rs, cx, &t))
		goto out;
	char *version = http_query_param(rq, "version"), *err = NULL;
	PGresult *r = submissions_file(t.conn, t.period.db_id, t.unit, version, &err);
	free(version);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "submission", err);
		goto out;
	}
	if (api_recipient_superseded(cx, r, 3, rs)) {
		PQclear(r);
		goto out;
	}
	if (PQntuples(r) == 0 || PQgetisnull(r, 0, 0)) {
		bool none = PQntuples(r) == 0;
		/* binary bool: one byte */
		bool removed = !none && PQgetlength(r, 0, 2) == 1 && PQgetvalue(r, 0, 2)[0] == 1;
		PQclear(r);
		if (removed)
			http_error(rs, 404, "file_removed", "Tệp gốc của phiên bản này đã được xoá "
				   "khi hết thời hạn lưu trữ; nội dung báo cáo và biên nhận vẫn "
				   "được giữ. Hãy xem nội dung trên trang báo cáo.");
		else
			http_error(rs, 404, none ? "no_submission" : "no_file",
				   none ? "Đơn vị chưa gửi báo cáo kỳ này."
					: "Báo cáo này được gửi qua biểu mẫu web hoặc API, không có "
					  "tệp.");
		goto out;
	}
	rs->status = 200;
	rs->content_type = XLSX_MIME;
	strbuf_add(&rs->body, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	uint32_t version_be;
	memcpy(&version_be, PQgetvalue(r, 0, 1), sizeof version_be);
	char *disp = xasprintf("attachment; filename=\"bao-cao-%s-%s-%s-v%u.xlsx\"",
			       t.series->name, t.period.id, t.unit, ntohl(version_be));
	http_add_header(rs, "Content-Disposition", disp);
	free(disp);
	PQclear(r);
out:
	target_free(&t);
}

/* GET .../submissions: every version the unit sent for the period. */
void api_submission_list(struct http_request *rq, struct http_response *rs,
			 const struct api_ctx *cx)
{
	struct target t;
	if (!target_resolve(rq, rs, cx, &t))
		goto out;
	char *err = NULL;
	PGresult *r = submissions_list(t.conn, t.period.db_id, t.unit, &err);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "submission", err);
		goto out;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "unit", t.unit);
	json_kv_string(&j, "period", t.period.id);
	json_key(&j, "submissions");
	json_array_begin(&j);
	/* received_at (column 2) is written between the two, as RFC 3339; "file" is false for
	 * JSON reports, and for workbooks whose raw file the retention removed. */
	static const struct db_json_col head[] = {
		{ "submission", DBJ_INT }, { "version", DBJ_INT },
	};
	static const struct db_json_col tail[] = {
		{ NULL, DBJ_TEXT }, { NULL, DBJ_TEXT }, { NULL, DBJ_TEXT },
		{ "sha256", DBJ_TEXT }, { "on_time", DBJ_BOOL }, { "superseded", DBJ_BOOL },
		{ "channel", DBJ_TEXT }, { "items", DBJ_INT }, { "by", DBJ_TEXT_NULL },
		{ "on_behalf", DBJ_BOOL }, { "file", DBJ_BOOL }, { "document", DBJ_BOOL },
	};
	for (int i = 0; i < PQntuples(r); i++) {
		char when[40];
		json_object_begin(&j);
		db_json_members(&j, r, i, head, nitems(head));
		json_key(&j, "received_at");
		if (cal_format_rfc3339((time_t)atoll(PQgetvalue(r, i, 2)), when, sizeof when) == 0)
			json_string(&j, when);
		else
			json_null(&j);
		db_json_members(&j, r, i, tail, nitems(tail));
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	PQclear(r);
out:
	target_free(&t);
}

/* GET /api/v1/receipts/public-key: the key that verifies receipts. */
void api_receipt_key(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	char b64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES,
					   sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof b64, keys_server()->sign_pk, crypto_sign_PUBLICKEYBYTES,
			  sodium_base64_VARIANT_ORIGINAL);
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "algorithm", "Ed25519");
	json_kv_string(&j, "public_key", b64);
	json_kv_string(&j, "signed_text", "baocao receipt v1\nsubmission: ID\nseries: NAME\n"
		       "period: ID\nunit: CODE\nversion: N\nreceived_at: YYYY-MM-DDTHH:MM:SSZ (UTC)\n"
		       "sha256: HEX\non_time: true|false\nitems: N\n");
	json_object_end(&j);
}
