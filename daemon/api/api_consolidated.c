/* The consolidated report's API: the workbooks (live, cut-off, final) and their .docx drafts,
 * the versions delivered, the board's status of every unit, the assessment and the approval. */
#include "api.h"
#include "audit.h"
#include "authz.h"
#include "board_xlsx.h"
#include "calendar.h"
#include "consol_versions.h"
#include "consolidation.h"
#include "db.h"
#include "db_json.h"
#include "docxw.h"
#include "extensions.h"
#include "json.h"
#include "json_parse.h"
#include "log.h"
#include "outbox.h"
#include "outbox_queue.h"
#include "unit_groups.h"
#include "submissions.h"
#include "util.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERSION_MAX 100000
#define LIVE_BUILDS_MAX 2		/* live workbooks built at once; more answer 503 */

static _Atomic int live_builds;		/* live workbooks being built now, by every worker */

/* The edition and number a request asks for (?version=live|cutoff|final&n=N; default: the
 * newest final version). False after answering 400. */
static bool edition_of(struct http_request *rq, struct http_response *rs,
		       enum consol_edition *out, int *out_n)
{
	char *version = http_query_param(rq, "version");
	char *n_text = http_query_param(rq, "n");
	enum consol_edition edition = CONSOL_FINAL;
	int n = 0;
	bool ok = true;
	if (version != NULL && strcmp(version, "live") == 0)
		edition = CONSOL_LIVE;
	else if (version != NULL && strcmp(version, "cutoff") == 0)
		edition = CONSOL_CUTOFF;
	else if (version != NULL && strcmp(version, "final") != 0)
		ok = false;
	if (n_text != NULL) {
		char *end;
		long v = strtol(n_text, &end, 10);
		if (*n_text == '\0' || *end != '\0' || v < 1 || v > VERSION_MAX)
			ok = false;
		n = (int)v;
	}
	free(version);
	free(n_text);
	if (!ok) {
		http_error(rs, 400, "bad_version", "Tham số version phải là live (số liệu hiện tại), "
			   "cutoff (bản khóa sổ) hoặc final (bản đã gửi); n là số thứ tự bản đã gửi.");
		return false;
	}
	*out = edition;
	*out_n = n;
	return true;
}

/* Whether a live build may start now (at most LIVE_BUILDS_MAX at once); false after
 * answering 503. live_done() ends one that started. */
static bool live_start(struct http_response *rs)
{
	if (atomic_fetch_add(&live_builds, 1) < LIVE_BUILDS_MAX)
		return true;
	atomic_fetch_sub(&live_builds, 1);
	http_add_header(rs, "Retry-After", "10");
	http_error(rs, 503, "busy_building", "Hệ thống đang lập các bản tổng hợp khác. Hãy "
		   "thử lại sau khoảng 10 giây.");
	return false;
}

static void live_done(void)
{
	atomic_fetch_sub(&live_builds, 1);
}

/* Answers 404 for an edition that is not there. */
static void no_edition(struct http_response *rs, enum consol_edition edition)
{
	http_error(rs, 404, edition == CONSOL_CUTOFF ? "no_cutoff" : "no_final",
		   edition == CONSOL_CUTOFF ?
		   "Kỳ này chưa khóa sổ nên chưa có bản dự thảo. Bản khóa sổ được lập khi "
		   "hết hạn gửi của các đơn vị; trước đó hãy xem bản trực tiếp (version=live)." :
		   "Chưa có bản báo cáo tổng hợp nào được phê duyệt và gửi cho kỳ này (hoặc "
		   "không có bản số n). Bản chính thức được gửi khi điều phối viên phê duyệt, "
		   "hoặc tự động trước hạn tổng hợp.");
}

/* Answers a file as an attachment. */
static void send_file(struct http_response *rs, const char *type,
		      const struct consolidation_file *f)
{
	rs->status = 200;
	rs->content_type = type;
	strbuf_add(&rs->body, f->data, f->len);
	char *disp = xasprintf("attachment; filename=\"%s\"", f->filename);
	http_add_header(rs, "Content-Disposition", disp);
	http_add_header(rs, "X-Content-SHA256", f->sha256);
	http_add_header(rs, "Cache-Control", "no-store");
	free(disp);
}

/* GET .../consolidated?version=live|cutoff|final[&n=N]: the workbook (default: the newest
 * final version). */
void api_consolidated_get(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx)
{
	enum consol_edition edition;
	int n;
	if (!edition_of(rq, rs, &edition, &n))
		return;
	PGconn *conn = cx->conn;
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "consolidated", &pi))
		return;
	/* A live workbook is built from the whole period: its memory and time are bounded by
	 * letting only a few be built at once. */
	if (edition == CONSOL_LIVE && !live_start(rs)) {
		period_info_free(&pi);
		return;
	}
	struct consolidation_file f;
	char *err = NULL;
	enum consolidation_result rc = consolidation_get(conn, &pi, edition, n, rq->received_at,
							 &f, &err);
	if (edition == CONSOL_LIVE)
		live_done();
	period_info_free(&pi);
	if (rc == CONSOLIDATION_INVALID) {
		api_workbook_invalid(rs, "consolidated", err);
		return;
	}
	if (rc == CONSOLIDATION_FAILED) {
		api_db_failed(rs, cx->db, "consolidated", err);
		return;
	}
	if (rc == CONSOLIDATION_NONE) {
		no_edition(rs, edition);
		return;
	}
	send_file(rs, CONSOL_CONTENT_TYPE, &f);
	consolidation_file_free(&f);
}

/* GET .../consolidated/draft?version=live|cutoff|final[&n=N]: the report's .docx draft of
 * that edition (default: the newest final version), for the coordinator to complete and have
 * signed. */
void api_consolidated_draft(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx)
{
	enum consol_edition edition;
	int n;
	if (!edition_of(rq, rs, &edition, &n))
		return;
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "consolidated draft", &pi))
		return;
	if (edition == CONSOL_LIVE && !live_start(rs)) {
		period_info_free(&pi);
		return;
	}
	struct consolidation_file f;
	char *err = NULL;
	enum consolidation_result rc = consolidation_draft(cx->conn, &pi, edition, n,
							   rq->received_at, &f, &err);
	if (edition == CONSOL_LIVE)
		live_done();
	period_info_free(&pi);
	if (rc == CONSOLIDATION_FAILED) {
		api_db_failed(rs, cx->db, "consolidated draft", err);
		return;
	}
	if (rc == CONSOLIDATION_NONE) {
		no_edition(rs, edition);
		return;
	}
	send_file(rs, DOCXW_CONTENT_TYPE, &f);
	consolidation_file_free(&f);
}

/* GET .../consolidated/versions: the final versions with their deliveries; every delivery
 * for those the access table lets see them (consolidated.deliveries), otherwise only the
 * caller's unit's own. */
void api_consolidated_versions(struct http_request *rq, struct http_response *rs,
			       const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "consolidated", &pi))
		return;
	bool every = authz_may(&cx->who, ACT_DELIVERY_DETAIL, cx->series, NULL) == AUTHZ_ALLOW;
	char *err = NULL;
	PGresult *r = consol_versions(conn, pi.db_id, cx->series->name, pi.id,
				      every ? 0 : cx->who.unit_id, &err);
	long long period_id = pi.db_id;
	period_info_free(&pi);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "consolidated versions", err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "series", cx->series->name);
	json_kv_string(&j, "period", route_param(&rq->params, "period"));
	json_key(&j, "versions");
	json_array_begin(&j);
	/* "correction" (a version after the first) is written between the two; the deliveries
	 * are made by PostgreSQL's json_agg. */
	static const struct db_json_col head[] = {
		{ "version", DBJ_INT }, { "built_at", DBJ_TEXT }, { "sha256", DBJ_TEXT },
		{ "automatic", DBJ_BOOL },
	};
	static const struct db_json_col tail[] = {
		{ NULL, DBJ_TEXT }, { NULL, DBJ_TEXT }, { NULL, DBJ_TEXT }, { NULL, DBJ_TEXT },
		{ "approved_by", DBJ_TEXT_NULL }, { "approved_at", DBJ_TEXT },
		{ "deliveries", DBJ_JSON }, { "acknowledged_at", DBJ_TEXT_NULL },
		{ "acknowledged_by", DBJ_TEXT_NULL }, { "acknowledged_unit", DBJ_TEXT_NULL },
	};
	for (int i = 0; i < PQntuples(r); i++) {
		json_object_begin(&j);
		db_json_members(&j, r, i, head, nitems(head));
		json_kv_bool(&j, "correction", atoll(PQgetvalue(r, i, 0)) > 1);
		db_json_members(&j, r, i, tail, nitems(tail));
		json_object_end(&j);
	}
	json_array_end(&j);
	api_consolidated_delivery(&j, cx, period_id);
	json_object_end(&j);
	PQclear(r);
}

/* Answers the board as a workbook (GET .../status?format=xlsx) from the status query. */
static void status_xlsx(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx, const struct period_info *pi, PGresult *r)
{
	int n = PQntuples(r);
	struct board_row *rows = xcalloc(n > 0 ? (size_t)n : 1, sizeof *rows);
	for (int i = 0; i < n; i++) {
		rows[i] = (struct board_row){
			PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			PQgetvalue(r, i, 3), PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4),
			atoll(PQgetvalue(r, i, 5)), atoll(PQgetvalue(r, i, 6)),
			PQgetisnull(r, i, 8) ? NULL : PQgetvalue(r, i, 8),
			!PQgetisnull(r, i, 12) && strcmp(PQgetvalue(r, i, 3), "on_time") == 0 };
	}
	char title[160], made[96];
	if (period_title_vi(&pi->period, title, sizeof title) != 0)
		snprintf(title, sizeof title, "kỳ %s", pi->id);
	if (cal_format_vi_long(rq->received_at, made, sizeof made) != 0)
		snprintf(made, sizeof made, "nay");
	struct board_title t = { cx->series->title, title, made };
	unsigned char *data;
	size_t len;
	char *err = NULL;
	int rc = board_xlsx_write(&t, rows, (size_t)n, &data, &len, &err);
	free(rows);
	if (rc != 0) {
		log_error("status", "%s", err);
		free(err);
		api_internal_error(rs);
		return;
	}
	rs->status = 200;
	rs->content_type = CONSOL_CONTENT_TYPE;
	strbuf_add(&rs->body, data, len);
	free(data);
	char *disp = xasprintf("attachment; filename=\"tinh-hinh-%s-%s.xlsx\"", cx->series->name,
			       pi->id);
	http_add_header(rs, "Content-Disposition", disp);
	http_add_header(rs, "Cache-Control", "no-store");
	free(disp);
}

/* GET .../status[?format=json|xlsx]: every unit that must report, its state, and the totals
 * (JSON), or the same as a workbook. */
void api_period_status(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	char *format = http_query_param(rq, "format");
	bool xlsx = format != NULL && strcmp(format, "xlsx") == 0;
	bool bad = format != NULL && !xlsx && strcmp(format, "json") != 0;
	free(format);
	if (bad) {
		http_error(rs, 400, "bad_format", "Tham số format là json (mặc định) hoặc xlsx "
			   "(bảng tình hình dạng Excel).");
		return;
	}
	PGconn *conn = cx->conn;
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "consolidated", &pi))
		return;
	char *err = NULL;
	PGresult *r = submissions_board(conn, pi.db_id, &err);
	if (r == NULL) {
		period_info_free(&pi);
		api_db_failed(rs, cx->db, "status", err);
		return;
	}
	if (xlsx) {
		status_xlsx(rq, rs, cx, &pi, r);
		PQclear(r);
		period_info_free(&pi);
		return;
	}
	int n = PQntuples(r);
	long long counts[5] = { 0 };
	static const char *const names[5] = { "on_time", "late", "missing", "returned",
					      "no_document" };
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "series", cx->series->name);
	json_kv_string(&j, "period", pi.id);
	json_kv_string(&j, "state", pi.state);
	json_kv_bool(&j, "require_document", cx->series->require_document);
	json_key(&j, "units");
	json_array_begin(&j);
	for (int i = 0; i < n; i++) {
		const char *state = PQgetvalue(r, i, 3);
		for (int k = 0; k < 5; k++)
			if (strcmp(state, names[k]) == 0)
				counts[k]++;
		json_object_begin(&j);
		json_kv_string(&j, "unit", PQgetvalue(r, i, 0));
		json_kv_string(&j, "name", PQgetvalue(r, i, 1));
		json_kv_string(&j, "group", PQgetvalue(r, i, 2));
		json_kv_string(&j, "group_title", unit_group_short_title(PQgetvalue(r, i, 2)));
		json_kv_string(&j, "state", state);
		bool none = PQgetisnull(r, i, 4);
		json_key(&j, "received_at");
		if (none)
			json_null(&j);
		else
			json_string(&j, PQgetvalue(r, i, 4));
		json_kv_int(&j, "version", none ? 0 : atoll(PQgetvalue(r, i, 5)));
		json_kv_int(&j, "items", atoll(PQgetvalue(r, i, 6)));
		json_key(&j, "late");
		if (none)
			json_null(&j);
		else
			json_bool(&j, strcmp(PQgetvalue(r, i, 9), "t") != 0);
		json_key(&j, "review");
		if (PQgetisnull(r, i, 7))
			json_null(&j);
		else
			json_string(&j, PQgetvalue(r, i, 7));
		if (!PQgetisnull(r, i, 8))
			json_kv_string(&j, "comment", PQgetvalue(r, i, 8));
		/* the document: missing, unsigned, unchecked or the first signature's state */
		json_kv_string(&j, "document", PQgetvalue(r, i, 10));
		/* on time only by the unit's extension; the extension itself (or null) */
		json_kv_bool(&j, "extended", !PQgetisnull(r, i, 12));
		struct extension ext;
		extension_from_row(r, i, 13, &ext);
		json_key(&j, "extension");
		extension_json(&j, &ext);
		extension_free(&ext);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "totals");
	json_object_begin(&j);
	json_kv_int(&j, "expected", n);
	for (int k = 0; k < 5; k++)
		json_kv_int(&j, names[k], counts[k]);
	json_object_end(&j);
	json_object_end(&j);
	PQclear(r);
	period_info_free(&pi);
}
