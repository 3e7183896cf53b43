/* What the coordinator's and the recipient's pages read besides the board itself: who a
 * reminder would reach, the units' timeliness over past periods, and the delivered reports. */
#include "api.h"
#include "calendar.h"
#include "consol_versions.h"
#include "db.h"
#include "db_json.h"
#include "json.h"
#include "log.h"
#include "remind.h"
#include "unit_groups.h"
#include "submissions.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMELINESS_DEFAULT 12	/* periods in the timeliness table unless ?periods= says */
#define TIMELINESS_MAX 52
#define DELIVERIES_DEFAULT 26	/* periods listed by GET .../deliveries unless ?periods= says */
#define DELIVERIES_MAX 104

/* ?periods=N, strictly a number in 1..max (def when absent); -1 after answering 400. */
static int periods_param(struct http_request *rq, struct http_response *rs, int def, int max)
{
	char *text = http_query_param(rq, "periods");
	if (text == NULL)
		return def;
	char *end;
	long v = strlen(text) <= 3 ? strtol(text, &end, 10) : -1;
	bool ok = v >= 1 && v <= max && text[0] >= '0' && text[0] <= '9' && *end == '\0';
	free(text);
	if (!ok) {
		char *msg = xasprintf("Tham số periods là số kỳ cần xem, từ 1 đến %d (mặc định %d).",
				      max, def);
		http_error(rs, 400, "bad_periods", msg);
		free(msg);
		return -1;
	}
	return (int)v;
}

/* Writes a text column that may be NULL. */
static void kv_nullable(struct json *j, const char *key, PGresult *r, int row, int col)
{
	json_key(j, key);
	if (PQgetisnull(r, row, col))
		json_null(j);
	else
		json_string(j, PQgetvalue(r, row, col));
}

/* The Vietnamese title of a period of the series ("Tuần 50 năm 2026 ..."), or its id. */
static void period_title(const struct series_def *s, const char *id, char *buf, size_t size)
{
	struct period p;
	char *err = NULL;
	if (period_parse(s->kind, id, &p, &err) != 0 || period_title_vi(&p, buf, size) != 0)
		snprintf(buf, size, "%s", id);
	free(err);
}

/* GET .../periods/{period}/remind/preview: the units a reminder asked for now would reach. */
void api_remind_preview(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	struct period_info pi;
	if (!api_period_of(rq, rs, cx, "remind preview", &pi) ||
	    !api_period_remindable(rq, rs, &pi))
		return;
	const struct series_def *s = cx->series;
	char *err = NULL;
	PGresult *r = remind_preview(conn, s, &pi, rq->received_at, &err);
	if (r == NULL) {
		period_info_free(&pi);
		api_db_failed(rs, cx->db, "remind preview", err);
		return;
	}
	int n = PQntuples(r);
	long long addresses = 0;
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "series", s->name);
	json_kv_string(&j, "period", pi.id);
	static const struct db_json_col cols[] = {
		{ "unit", DBJ_TEXT }, { "name", DBJ_TEXT }, { "group", DBJ_TEXT },
		{ "addresses", DBJ_INT },
	};
	json_key(&j, "units");
	db_json_rows(&j, r, cols, nitems(cols));
	for (int i = 0; i < n; i++)
		addresses += atoll(PQgetvalue(r, i, 3));
	json_kv_int(&j, "addresses", addresses);
	if (n > 0)
		kv_nullable(&j, "last_manual_at", r, 0, 4);
	else
		json_kv_string(&j, "last_manual_at", NULL);
	json_kv_int(&j, "cooldown_s", REMIND_COOLDOWN_S);
	json_object_end(&j);
	PQclear(r);
	period_info_free(&pi);
}

/* One unit's row of the timeliness table, from consecutive result rows. */
struct unit_row {
	int on_time, late, missing;
};

/* GET /api/v1/series/{series}/timeliness[?periods=N]: each unit's punctuality over the last
 * N periods whose units' deadline has passed (not skipped), oldest first. */
void api_timeliness_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	int count = periods_param(rq, rs, TIMELINESS_DEFAULT, TIMELINESS_MAX);
	if (count < 0)
		return;
	PGconn *conn = cx->conn;
	const char *name = cx->series->name;
	char *err = NULL;
	/* The periods, then one row per unit and period of its roster: 'on_time' when a version
	 * came in time, 'late' when only after, 'missing' when none. */
	PGresult *pr = submissions_timeliness_periods(conn, name, rq->received_at, count, &err);
	if (pr == NULL) {
		api_db_failed(rs, cx->db, "timeliness", err);
		return;
	}
	PGresult *r = submissions_timeliness(conn, name, rq->received_at, count, &err);
	if (r == NULL) {
		PQclear(pr);
		api_db_failed(rs, cx->db, "timeliness", err);
		return;
	}
	int np = PQntuples(pr), n = PQntuples(r);
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "series", cx->series->name);
	json_key(&j, "periods");
	json_array_begin(&j);
	/* The period's title is written between the two. */
	static const struct db_json_col head[] = { { "period", DBJ_TEXT } };
	static const struct db_json_col tail[] = {
		{ NULL, DBJ_TEXT }, { "starts_on", DBJ_TEXT }, { "ends_on", DBJ_TEXT },
	};
	for (int i = 0; i < np; i++) {
		char title[160];
		period_title(cx->series, PQgetvalue(pr, i, 0), title, sizeof title);
		json_object_begin(&j);
		db_json_members(&j, pr, i, head, nitems(head));
		json_kv_string(&j, "title", title);
		db_json_members(&j, pr, i, tail, nitems(tail));
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "units");
	json_array_begin(&j);
	for (int i = 0; i < n;) {
		const char *code = PQgetvalue(r, i, 0);
		int row0 = i;
		json_object_begin(&j);
		json_kv_string(&j, "unit", code);
		json_kv_string(&j, "name", PQgetvalue(r, i, 1));
		json_kv_string(&j, "group", PQgetvalue(r, i, 2));
		json_kv_string(&j, "group_title", unit_group_short_title(PQgetvalue(r, i, 2)));
		/* "states": one per period of "periods", null where the unit was not asked. */
		json_key(&j, "states");
		json_array_begin(&j);
		struct unit_row u = { 0, 0, 0 };
		for (int k = 0; k < np; k++) {
			if (i < n && strcmp(PQgetvalue(r, i, 0), code) == 0 &&
			    strcmp(PQgetvalue(r, i, 3), PQgetvalue(pr, k, 0)) == 0) {
				const char *st = PQgetvalue(r, i, 4);
				u.on_time += st[0] == 'o';
				u.late += st[0] == 'l';
				u.missing += st[0] == 'm';
				json_string(&j, st);
				i++;
			} else {
				json_null(&j);
			}
		}
		/* A row whose period is not in the list cannot happen (same periods); skip it. */
		while (i < n && strcmp(PQgetvalue(r, i, 0), code) == 0)
			i++;
		json_array_end(&j);
		/* "extended": the periods (of "periods") it was on time in only by an extension */
		json_key(&j, "extended");
		json_array_begin(&j);
		for (int k = row0; k < i; k++)
			if (strcmp(PQgetvalue(r, k, 5), "t") == 0)
				json_string(&j, PQgetvalue(r, k, 3));
		json_array_end(&j);
		json_kv_int(&j, "on_time", u.on_time);
		json_kv_int(&j, "late", u.late);
		json_kv_int(&j, "missing", u.missing);
		int asked = u.on_time + u.late + u.missing;
		json_key(&j, "rate");	/* per cent on time, one decimal */
		if (asked == 0)
			json_null(&j);
		else
			json_double(&j, (double)((u.on_time * 1000 + asked / 2) / asked) / 10.0);
		json_object_end(&j);
	}
	json_array_end(&j);
	api_timeliness_consolidator(&j, cx, pr, rq->received_at, count);
	json_object_end(&j);
	PQclear(r);
	PQclear(pr);
}

/* GET /api/v1/series/{series}/deliveries[?periods=N]: the final versions of the last N
 * periods that have one, newest period first, each version with its time and file. */
void api_deliveries_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	int count = periods_param(rq, rs, DELIVERIES_DEFAULT, DELIVERIES_MAX);
	if (count < 0)
		return;
	PGconn *conn = cx->conn;
	char *err = NULL;
	PGresult *r = consol_deliveries(conn, cx->series->name, count, &err);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "deliveries", err);
		return;
	}
	int n = PQntuples(r);
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "series", cx->series->name);
	json_kv_string(&j, "title", cx->series->title);
	json_key(&j, "periods");
	json_array_begin(&j);
	for (int i = 0; i < n;) {
		const char *key = PQgetvalue(r, i, 0);
		char title[160];
		period_title(cx->series, key, title, sizeof title);
		json_object_begin(&j);
		json_kv_string(&j, "period", key);
		json_kv_string(&j, "title", title);
		json_kv_string(&j, "starts_on", PQgetvalue(r, i, 1));
		json_kv_string(&j, "ends_on", PQgetvalue(r, i, 2));
		json_key(&j, "versions");
		json_array_begin(&j);
		/* consol_deliveries' columns 4 to 7, after "correction" */
		static const struct db_json_col version_cols[] = {
			{ NULL, DBJ_TEXT }, { NULL, DBJ_TEXT }, { NULL, DBJ_TEXT }, { NULL, DBJ_TEXT },
			{ "released_at", DBJ_TEXT }, { "automatic", DBJ_BOOL }, { "sha256", DBJ_TEXT },
			{ "filename", DBJ_TEXT }, { "acknowledged_at", DBJ_TEXT_NULL },
			{ "acknowledged_by", DBJ_TEXT_NULL }, { "acknowledged_unit", DBJ_TEXT_NULL },
		};
		for (; i < n && strcmp(PQgetvalue(r, i, 0), key) == 0; i++) {
			long long v = atoll(PQgetvalue(r, i, 3));
			json_object_begin(&j);
			json_kv_int(&j, "version", v);
			json_kv_bool(&j, "correction", v > 1);
			db_json_members(&j, r, i, version_cols, nitems(version_cols));
			char *url = xasprintf("/api/v1/series/%s/periods/%s/consolidated?version=final"
					      "&n=%lld", cx->series->name, key, v);
			json_kv_string(&j, "url", url);
			free(url);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	PQclear(r);
}
