/* /api/v1/admin/calendar: the holidays and swapped working days of a year, one added, changed
 * or removed; the open periods' deadlines follow at once and the jobs are planned again. */
#include "api_admin.h"
#include "calendar.h"
#include "calendar_store.h"
#include "clock.h"
#include "db.h"
#include "db_json.h"
#include "housekeeping.h"
#include "json.h"
#include "log.h"
#include "periods.h"
#include "series_store.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GET /api/v1/admin/calendar?year=2026 (default: the daemon's current year) */
void api_admin_calendar_get(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx)
{
	char *year = http_query_param(rq, "year");
	int y = 0, n = 0;
	if (year == NULL) {
		cal_day today;
		int minute, m, d;
		if (cal_day_of_time(clock_now(), &today, &minute) == 0)
			cal_to_ymd(today, &y, &m, &d);
	} else if (sscanf(year, "%4d%n", &y, &n) != 1 || year[n] != '\0' || y < 2000 ||
		   y > 2100) {
		y = 0;
	}
	free(year);
	if (y == 0) {
		http_error(rs, 400, "invalid_year", "Năm không hợp lệ. Hãy chọn một năm từ 2000 "
			   "đến 2100, ví dụ ?year=2026.");
		return;
	}
	PGconn *conn = cx->conn;
	char ybuf[8];
	snprintf(ybuf, sizeof ybuf, "%d", y);
	char *err = NULL;
	PGresult *r = calendar_store_list(conn, ybuf, &err);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "admin calendar", err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_int(&j, "year", y);
	static const struct db_json_col cols[] = {
		{ "day", DBJ_TEXT }, { "kind", DBJ_TEXT }, { "note", DBJ_TEXT },
	};
	json_key(&j, "days");
	db_json_rows(&j, r, cols, nitems(cols));
	json_object_end(&j);
	PQclear(r);
}

/* The {day} of the path, or false after answering 404. */
static bool path_day(struct http_request *rq, struct http_response *rs, cal_day *day)
{
	const char *s = route_param(&rq->params, "day");
	int y, m, d;
	if (s == NULL || strlen(s) != 10 || cal_parse_date(s, day) != 0 ||
	    (cal_to_ymd(*day, &y, &m, &d), y < 2000 || y > 2100)) {
		http_error(rs, 404, "invalid_day", "Ngày không hợp lệ. Hãy chọn ngày dạng "
			   "2026-09-02, từ năm 2000 đến 2100.");
		return false;
	}
	return true;
}

/* After the calendar changed: the deadlines of open periods follow it now (as baocaoctl
 * import calendar does), and the jobs are planned again at once. */
static void deadlines_follow(PGconn *conn)
{
	const struct series_list *list = series_current();
	time_t now = clock_now();
	for (size_t i = 0; i < list->n; i++) {
		char *err = NULL;
		if (periods_sync(conn, &list->items[i], now, &err) != PERIODS_OK) {
			log_warn("admin", "periods of %s after a calendar change: %s; the next "
				 "housekeeping run tries again", list->items[i].name,
				 err ? err : "failed");
			free(err);
		}
	}
	api_changed(conn);
}

/* PUT /api/v1/admin/calendar/{day} {"kind":"holiday"|"workday","note":"..."} */
void api_admin_calendar_put(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx)
{
	cal_day day;
	if (!path_day(rq, rs, &day))
		return;
	struct jv *doc = api_admin_json(rq, rs, "{\"kind\":\"holiday\",\"note\":\"Quốc khánh\"}");
	if (doc == NULL)
		return;
	const char *kind_s = jv_get_string(doc, "kind");
	const char *note = jv_get(doc, "note") ? api_admin_text(doc, "note", 200) : "";
	enum cal_day_kind kind;
	if (kind_s == NULL || cal_day_kind_parse(kind_s, &kind) != 0 || note == NULL) {
		jv_free(doc);
		http_error(rs, 400, "bad_request", "Hãy chọn loại ngày (nghỉ lễ: holiday, làm việc "
			   "bù: workday) và ghi chú tối đa 200 ký tự.");
		return;
	}
	int wd = cal_weekday(day);
	if (kind == CAL_WORKDAY && wd != 6 && wd != 7) {
		jv_free(doc);
		http_error(rs, 422, "not_a_weekend", "Ngày làm việc bù phải là thứ Bảy hoặc Chủ "
			   "nhật; các ngày thứ Hai đến thứ Sáu vốn là ngày làm việc. Hãy chọn lại "
			   "ngày.");
		return;
	}
	PGconn *conn = cx->conn;
	struct audit_who who;
	api_admin_who(rq, cx, &who);
	char *err = NULL;
	int outcome = calendar_store_set(conn, day, kind, note, &who, &err);
	jv_free(doc);
	if (outcome < 0) {
		api_db_failed(rs, cx->db, "admin: calendar day", err);
		return;
	}
	char date[CAL_DATE_BUF];
	cal_format_date(day, date);
	log_info("admin", "%s set %s as a %s", cx->who.login, date, cal_day_kind_name(kind));
	deadlines_follow(conn);
	api_admin_ok(rs, outcome == CALENDAR_UNCHANGED ? "Ngày này đã có trong lịch như vậy." :
		     "Đã lưu ngày vào lịch; hạn nộp của các kỳ đang mở đã được tính lại.");
}

/* DELETE /api/v1/admin/calendar/{day} */
void api_admin_calendar_delete(struct http_request *rq, struct http_response *rs,
			       const struct api_ctx *cx)
{
	cal_day day;
	if (!path_day(rq, rs, &day))
		return;
	PGconn *conn = cx->conn;
	struct audit_who who;
	api_admin_who(rq, cx, &who);
	char *err = NULL;
	int removed = calendar_store_remove(conn, day, &who, &err);
	if (removed < 0) {
		api_db_failed(rs, cx->db, "admin: calendar day", err);
		return;
	}
	if (removed == 0) {
		http_error(rs, 404, "no_such_day", "Ngày này không có trong lịch nghỉ lễ và làm bù. "
			   "Hãy tải lại danh sách ngày.");
		return;
	}
	char date[CAL_DATE_BUF];
	cal_format_date(day, date);
	log_info("admin", "%s removed %s from the calendar", cx->who.login, date);
	deadlines_follow(conn);
	api_admin_ok(rs, "Đã xóa ngày khỏi lịch; hạn nộp của các kỳ đang mở đã được tính lại.");
}
