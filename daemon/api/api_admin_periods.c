/* /api/v1/admin/series and .../periods/{period}/override: the series with their recent
 * periods' deadlines, and setting or clearing a period's deadlines by hand (periods_override,
 * audited with the admin's login); the jobs are planned again at once. */
#include "api_admin.h"
#include "calendar.h"
#include "clock.h"
#include "db.h"
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
	char nowbuf[24], max[8];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(max, sizeof max, "%d", PERIODS_LISTED);
	const char *p[] = { series, nowbuf, max };
	PGresult *r = db_run(conn, "periods",
		"SELECT p.period_key, to_char(p.starts_on, 'YYYY-MM-DD'), "
		"  to_char(p.ends_on, 'YYYY-MM-DD'), "
		"  to_char(p.unit_deadline AT TIME ZONE 'Asia/Ho_Chi_Minh', "
		"    'YYYY-MM-DD\"T\"HH24:MI:SS\"+07:00\"'), "
		"  to_char(p.consolidation_deadline AT TIME ZONE 'Asia/Ho_Chi_Minh', "
		"    'YYYY-MM-DD\"T\"HH24:MI:SS\"+07:00\"'), "
		"  p.overridden, p.state, coalesce(p.reason, '') "
		"FROM period p JOIN series s ON s.id = p.series_id WHERE s.name = $1 "
		"  AND p.starts_on <= (to_timestamp($2::bigint) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date "
		"    + (p.ends_on - p.starts_on) + 1 "
		"ORDER BY p.starts_on DESC, p.period_key DESC LIMIT $3::int", 3, p, err);
	if (r == NULL)
		return -1;
	json_key(j, "periods");
	json_array_begin(j);
	for (int i = 0; i < PQntuples(r); i++) {
		json_object_begin(j);
		json_kv_string(j, "period", PQgetvalue(r, i, 0));
		json_kv_string(j, "starts_on", PQgetvalue(r, i, 1));
		json_kv_string(j, "ends_on", PQgetvalue(r, i, 2));
		for (int c = 3; c <= 4; c++) {
			json_key(j, c == 3 ? "unit_deadline" : "consolidation_deadline");
			if (PQgetisnull(r, i, c))
				json_null(j);
			else
				json_string(j, PQgetvalue(r, i, c));
		}
		json_kv_bool(j, "overridden", strcmp(PQgetvalue(r, i, 5), "t") == 0);
		json_kv_string(j, "state", PQgetvalue(r, i, 6));
		json_kv_string(j, "reason", PQgetvalue(r, i, 7));
		json_object_end(j);
	}
	json_array_end(j);
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
