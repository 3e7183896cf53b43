/* /api/v1/admin/series and .../periods/{period}/override: the series with their recent
 * periods' deadlines, and setting or clearing a period's deadlines by hand (periods_override,
 * audited with the admin's login); the jobs are planned again at once. */
#include "api_admin.h"
#include "calendar.h"
#include "clock.h"
#include "db.h"
#include "db_json.h"
#include "housekeeping.h"
#include "json.h"
#include "log.h"
#include "periods.h"
#include "series.h"
#include "series_store.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERIODS_LISTED 8	/* per series: the latest begun, and the next */

/* Writes one series' recent periods from the database. */
static int periods_json(PGconn *conn, struct json *j, const char *series, time_t now,
			char **err)
{
	PGresult *r = periods_latest(conn, series, now, PERIODS_LISTED, err);
	if (r == NULL)
		return -1;
	static const struct db_json_col cols[] = {
		{ "period", DBJ_TEXT }, { "starts_on", DBJ_TEXT }, { "ends_on", DBJ_TEXT },
		{ "unit_deadline", DBJ_TEXT_NULL }, { "consolidation_deadline", DBJ_TEXT_NULL },
		{ "overridden", DBJ_BOOL }, { "state", DBJ_TEXT }, { "reason", DBJ_TEXT },
	};
	json_key(j, "periods");
	db_json_rows(j, r, cols, nitems(cols));
	PQclear(r);
	return 0;
}

/* GET /api/v1/admin/series: every series in force with its latest periods. */
void api_admin_series_get(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	const struct series_list *list = series_current();
	struct strbuf out = STRBUF_INIT;
	struct json j;
	json_init(&j, &out);
	json_object_begin(&j);
	json_key(&j, "series");
	json_array_begin(&j);
	time_t now = clock_now();
	for (size_t i = 0; i < list->n; i++) {
		const struct series_def *s = &list->items[i];
		json_object_begin(&j);
		json_kv_string(&j, "name", s->name);
		json_kv_string(&j, "title", s->title);
		json_kv_string(&j, "kind", period_kind_name(s->kind));
		json_kv_string(&j, "consolidator", s->consolidator ? s->consolidator : "");
		char *err = NULL;
		if (periods_json(conn, &j, s->name, now, &err) != 0) {
			strbuf_free(&out);
			api_db_failed(rs, cx->db, "admin series", err);
			return;
		}
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	http_json(rs, 200);
	strbuf_adds(&rs->body, strbuf_str(&out));
	strbuf_free(&out);
}

/* Sets (clear false) or clears a period's override and answers with the period. */
static void override(struct http_request *rq, struct http_response *rs,
		     const struct api_ctx *cx, bool clear)
{
	const struct series_def *s = cx->series;
	const char *period = route_param(&rq->params, "period");
	if (period == NULL)
		return;
	time_t ut = 0, ct = 0;
	const char *note = "";
	struct jv *doc = NULL;
	if (!clear) {
		doc = api_admin_json(rq, rs, "{\"unit_deadline\":\"2026-12-11 11:00\","
				     "\"consolidation_deadline\":\"2026-12-11 17:00\",\"note\":\"...\"}");
		if (doc == NULL)
			return;
		const char *u = jv_get_string(doc, "unit_deadline");
		const char *c = jv_get_string(doc, "consolidation_deadline");
		note = jv_get(doc, "note") ? api_admin_text(doc, "note", 300) : "";
		if (u == NULL || c == NULL || periods_parse_time(u, &ut) != 0 ||
		    periods_parse_time(c, &ct) != 0 || note == NULL) {
			jv_free(doc);
			http_error(rs, 400, "bad_deadline", "Hãy nhập đủ hạn nộp của đơn vị và hạn "
				   "tổng hợp, dạng 2026-12-11 11:00 (giờ Việt Nam); ghi chú tối đa "
				   "300 ký tự.");
			return;
		}
		if (ct < ut) {
			jv_free(doc);
			http_error(rs, 422, "deadlines_order", "Hạn tổng hợp không được trước hạn nộp "
				   "của đơn vị. Hãy chọn lại hai thời điểm.");
			return;
		}
	}
	PGconn *conn = cx->conn;
	char *err = NULL;
	time_t now = clock_now();
	enum periods_result pr = periods_override(conn, s, period, clear, ut, ct, note,
						  cx->who.account_id, cx->who.login, now, &err);
	jv_free(doc);
	if (pr == PERIODS_CONFLICT) {
		log_info("admin", "%s: override of %s %s refused: %s", cx->who.login, s->name,
			 period, err);
		free(err);
		http_error(rs, 409, "period_closed", "Kỳ báo cáo này đã khóa sổ hoặc đã tổng hợp nên "
			   "không đổi hạn được nữa. Hãy chọn một kỳ đang mở.");
		return;
	}
	if (pr != PERIODS_OK) {
		api_period_failed(rs, cx->db, "admin: period override", pr, err);
		return;
	}
	log_info("admin", "%s %s the deadlines of %s %s", cx->who.login,
		 clear ? "cleared" : "set", s->name, period);
	/* The reminders, cut-off and consolidation of the period move with its deadlines. */
	api_changed(conn);
	struct period_info pi;
	pr = periods_compute(conn, s, period, now, &pi, &err);
	if (pr != PERIODS_OK) {
		api_period_failed(rs, cx->db, "admin: period after override", pr, err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "message", clear ? "Đã bỏ hạn ấn định; hạn nộp được tính lại theo "
		       "quy định và lịch làm việc." : "Đã ấn định hạn mới cho kỳ báo cáo; thư nhắc "
		       "và việc khóa sổ sẽ theo hạn mới.");
	json_key(&j, "period");
	period_info_json(&j, &pi);
	json_object_end(&j);
	period_info_free(&pi);
}

/* PUT /api/v1/admin/series/{series}/periods/{period}/override */
void api_admin_override_put(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx)
{
	override(rq, rs, cx, false);
}

/* DELETE /api/v1/admin/series/{series}/periods/{period}/override */
void api_admin_override_delete(struct http_request *rq, struct http_response *rs,
			       const struct api_ctx *cx)
{
	override(rq, rs, cx, true);
}
