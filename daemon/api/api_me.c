/* GET /api/v1/me: the signed-in account, its unit, and the series it reports in with their
 * current period and the unit's recent periods, for the pages' first screen. */
#include "api.h"
#include "accounts.h"
#include "calendar.h"
#include "db.h"
#include "db_json.h"
#include "json.h"
#include "log.h"
#include "periods.h"
#include "series_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECENT_PERIODS 12	/* earlier periods listed per series */

/* The name of a period kind, as the pages read it. */
static const char *kind_name(enum period_kind k)
{
	switch (k) {
	case PERIOD_WEEKLY: return "weekly";
	case PERIOD_MONTHLY: return "monthly";
	case PERIOD_QUARTERLY: return "quarterly";
	case PERIOD_HALF_YEARLY: return "half-yearly";
	case PERIOD_YEARLY: return "yearly";
	default: return "adhoc";
	}
}

/* Writes the unit's latest periods of a series that have begun, with its report in each.
 * Returns 0, or -1 after answering the failure. */
static int recent_json(struct json *j, PGconn *conn, const struct series_def *s,
		       long long unit_id, time_t now, char **err)
{
	PGresult *r = periods_recent_of_unit(conn, s->name, unit_id, now, RECENT_PERIODS, err);
	if (r == NULL)
		return -1;
	static const struct db_json_col cols[] = {
		{ "period", DBJ_TEXT }, { "starts_on", DBJ_TEXT }, { "ends_on", DBJ_TEXT },
		{ "state", DBJ_TEXT }, { "version", DBJ_INT_NULL }, { "on_time", DBJ_BOOL_NULL },
	};
	json_key(j, "recent");
	db_json_rows(j, r, cols, nitems(cols));
	PQclear(r);
	return 0;
}

/* Writes one series the unit reports in: its names, its current period, its recent ones. */
static int series_json(struct json *j, PGconn *conn, const struct series_def *s,
		       long long unit_id, time_t now, char **err)
{
	json_object_begin(j);
	json_kv_string(j, "name", s->name);
	json_kv_string(j, "title", s->title);
	json_kv_string(j, "kind", kind_name(s->kind));
	json_kv_bool(j, "require_document", s->require_document);
	json_key(j, "current");
	struct period_info pi;
	char *perr = NULL;
	enum periods_result rc = periods_lookup(conn, s, "current", now, &pi, &perr);
	if (rc == PERIODS_OK) {
		period_info_json(j, &pi);
		period_info_free(&pi);
	} else if (rc == PERIODS_DB) {
		*err = perr;
		return -1;
	} else {
		json_null(j);	/* an ad hoc series, or none open now */
		free(perr);
	}
	if (recent_json(j, conn, s, unit_id, now, err) != 0)
		return -1;
	json_object_end(j);
	return 0;
}

/* Writes "recent": the series' latest periods that have begun (any unit's view). Returns 0,
 * or -1 with *err. */
static int periods_json(struct json *j, PGconn *conn, const struct series_def *s, time_t now,
			char **err)
{
	PGresult *r = periods_recent(conn, s->name, now, RECENT_PERIODS, err);
	if (r == NULL)
		return -1;
	static const struct db_json_col cols[] = {
		{ "period", DBJ_TEXT }, { "starts_on", DBJ_TEXT }, { "ends_on", DBJ_TEXT },
		{ "state", DBJ_TEXT },
	};
	json_key(j, "recent");
	db_json_rows(j, r, cols, nitems(cols));
	PQclear(r);
	return 0;
}

/* Writes "consolidates" (coordinators: the series the unit consolidates) and "receives"
 * (recipients: the series whose final report the unit receives, whose board they read), each
 * with its current and recent periods. Returns 0, or -1 with *err. */
static int consolidated_json(struct json *j, const struct http_request *rq,
			     const struct api_ctx *cx, char **err)
{
	PGconn *conn = cx->conn;
	const struct series_list *all = series_current();
	for (int pass = 0; pass < 2; pass++) {
		bool coord = pass == 0;
		json_key(j, coord ? "consolidates" : "receives");
		json_array_begin(j);
		for (size_t i = 0; all && i < all->n; i++) {
			const struct series_def *s = &all->items[i];
			bool mine = false;
			if (coord && cx->who.role == ROLE_COORDINATOR)
				mine = s->consolidator && strcmp(s->consolidator, cx->who.unit_code) == 0;
			for (size_t k = 0; !coord && cx->who.role == ROLE_RECIPIENT &&
			     k < s->nrecipients; k++)
				mine = mine || strcmp(s->recipients[k], cx->who.unit_code) == 0;
			if (!mine)
				continue;
			json_object_begin(j);
			json_kv_string(j, "name", s->name);
			json_kv_string(j, "title", s->title);
			json_kv_string(j, "kind", kind_name(s->kind));
			json_key(j, "current");
			struct period_info pi;
			char *perr = NULL;
			enum periods_result rc = periods_lookup(conn, s, "current",
								rq->received_at, &pi, &perr);
			if (rc == PERIODS_OK) {
				period_info_json(j, &pi);
				period_info_free(&pi);
			} else if (rc == PERIODS_DB) {
				*err = perr;
				return -1;
			} else {
				json_null(j);
				free(perr);
			}
			if (periods_json(j, conn, s, rq->received_at, err) != 0)
				return -1;
			json_object_end(j);
		}
		json_array_end(j);
	}
	return 0;
}

/* GET /api/v1/me */
void api_me_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	char *err = NULL;
	PGresult *r = accounts_profile(conn, cx->who.account_id, &err);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "me", err);
		return;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		http_error(rs, 401, "invalid_token", "Tài khoản không còn tồn tại. Hãy đăng nhập lại.");
		return;
	}
	char *names = xstrdup(PQgetisnull(r, 0, 3) ? "" : PQgetvalue(r, 0, 3));
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "login", cx->who.login);
	json_kv_string(&j, "display_name", PQgetvalue(r, 0, 0));
	json_kv_string(&j, "email", PQgetvalue(r, 0, 1));
	json_kv_string(&j, "role", auth_role_name(cx->who.role));
	json_key(&j, "unit");
	json_object_begin(&j);
	json_kv_string(&j, "code", cx->who.unit_code);
	json_kv_string(&j, "name", PQgetvalue(r, 0, 2));
	json_object_end(&j);
	json_kv_string(&j, "csrf_token", cx->by_session ? cx->csrf : NULL);
	char now[40];
	json_key(&j, "now");	/* the daemon's clock, which the countdowns follow */
	if (cal_format_rfc3339(rq->received_at, now, sizeof now) == 0)
		json_string(&j, now);
	else
		json_null(&j);
	PQclear(r);
	json_key(&j, "series");
	json_array_begin(&j);
	/* Reporters and coordinators report for their unit; the others report in no series. */
	bool reports = cx->who.role == ROLE_REPORTER || cx->who.role == ROLE_COORDINATOR;
	for (char *save = NULL, *name = strtok_r(names, " ", &save); reports && name;
	     name = strtok_r(NULL, " ", &save)) {
		const struct series_def *s = series_current_find(name);
		if (s == NULL)
			continue;	/* in the database, not yet read by this daemon */
		if (series_json(&j, conn, s, cx->who.unit_id, rq->received_at, &err) != 0) {
			free(names);
			api_db_failed(rs, cx->db, "me: series", err);
			return;
		}
	}
	free(names);
	json_array_end(&j);
	if (consolidated_json(&j, rq, cx, &err) != 0) {
		api_db_failed(rs, cx->db, "me: consolidated series", err);
		return;
	}
	json_object_end(&j);
}
