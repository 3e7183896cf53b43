/* Periods of a series: their deadlines from the rules and the calendar, overrides, JSON. */
#include "periods.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Builds a calendar from "2026-01-01holiday,2026-01-10workday,..." (NULL: no exceptions). */
static struct cal_calendar *calendar_from_text(const char *text, char **err)
{
	struct cal_calendar *cal = cal_calendar_new();
	for (const char *p = text; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char date[11], kind_s[16];
		cal_day day;
		enum cal_day_kind kind;
		if (n < 11 || n - 10 >= sizeof kind_s) {
			*err = xstrdup("periods: bad calendar text");
			cal_calendar_free(cal);
			return NULL;
		}
		memcpy(date, p, 10);
		date[10] = '\0';
		memcpy(kind_s, p + 10, n - 10);
		kind_s[n - 10] = '\0';
		if (cal_parse_date(date, &day) != 0 || cal_day_kind_parse(kind_s, &kind) != 0 ||
		    cal_calendar_add(cal, day, kind, err) != 0) {
			if (*err == NULL)
				*err = xasprintf("periods: bad calendar day %s", date);
			cal_calendar_free(cal);
			return NULL;
		}
		p += n + (end ? 1 : 0);
	}
	return cal;
}

/* The database id of an active series, as text; NULL with *err if it was never synced. */
static char *series_db_id(PGconn *c, const struct series_def *s, char **err, bool *db_failed)
{
	const char *p[] = { s->name };
	PGresult *r = db_run(c, "periods", "SELECT id FROM series WHERE name = $1 AND active", 1,
			     p, err);
	if (r == NULL) {
		*db_failed = true;
		return NULL;
	}
	char *id = PQntuples(r) ? xstrdup(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	if (id == NULL)
		*err = xasprintf("series '%s' is not in the database yet: run baocaoctl series sync",
				 s->name);
	return id;
}

/* Formats an instant as a timestamptz parameter. */
static void ts_param(time_t t, char buf[32])
{
	snprintf(buf, 32, "%lld", (long long)t);
}

/* Fills out from a result's columns at col: id, state, overridden, the two deadlines (epoch),
 * reason_code, reason. */
static void fill_period(PGresult *r, int col, struct period_info *out)
{
	out->db_id = atoll(PQgetvalue(r, 0, col));
	snprintf(out->state, sizeof out->state, "%s", PQgetvalue(r, 0, col + 1));
	out->overridden = strcmp(PQgetvalue(r, 0, col + 2), "t") == 0;
	out->skipped = strcmp(out->state, "skipped") == 0;
	if (!PQgetisnull(r, 0, col + 3))
		out->unit_deadline = (time_t)atoll(PQgetvalue(r, 0, col + 3));
	if (!PQgetisnull(r, 0, col + 4))
		out->consolidation_deadline = (time_t)atoll(PQgetvalue(r, 0, col + 4));
	free(out->reason_code);
	free(out->reason);
	out->reason_code = PQgetisnull(r, 0, col + 5) ? NULL : xstrdup(PQgetvalue(r, 0, col + 5));
	out->reason = PQgetisnull(r, 0, col + 6) ? NULL : xstrdup(PQgetvalue(r, 0, col + 6));
}

/* Reads the stored row of a period into out; PERIODS_NOT_FOUND if there is none. */
static enum periods_result read_period(PGconn *c, const char *series_id, struct period_info *out,
				       char **err)
{
	const char *p[] = { series_id, out->id };
	PGresult *r = db_run(c, "periods",
		"SELECT id, state, overridden, extract(epoch FROM unit_deadline)::bigint, "
		"  extract(epoch FROM consolidation_deadline)::bigint, reason_code, reason "
		"FROM period WHERE series_id = $1 AND period_key = $2", 2, p, err);
	if (r == NULL)
		return PERIODS_DB;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return PERIODS_NOT_FOUND;
	}
	fill_period(r, 0, out);
	PQclear(r);
	return PERIODS_OK;
}

/* Parses the id (or "current") into out->period and out->id. */
static enum periods_result parse_id(const struct series_def *s, const char *id, time_t now,
				    struct period_info *out, char **err)
{
	if (strcmp(id, "current") == 0) {
		if (s->kind == PERIOD_ADHOC) {
			*err = xasprintf("series '%s' is ad hoc: it has no current period; name "
					 "the period", s->name);
			return PERIODS_BAD_REQUEST;
		}
		if (period_at_time(s->kind, now, &out->period) != 0) {
			*err = xstrdup("the current date is outside the calendar's range");
			return PERIODS_BAD_REQUEST;
		}
	} else if (period_parse(s->kind, id, &out->period, err) != 0) {
		return PERIODS_BAD_REQUEST;
	}
	period_format(&out->period, out->id);
	out->has_span = period_span(&out->period, &out->starts, &out->ends) == 0;
	return PERIODS_OK;
}

/* Whether a period without a row lies between the series' first period (first_period, or
 * else its first stored one, or else the current one) and the next one; otherwise *err says, in Vietnamese,
 * which periods there are. */
static bool in_range(const struct series_def *s, const struct period_info *pi,
		     const char *first_key, time_t now, char **err)
{
	struct period cur, next, first;
	cal_day asked, lo, hi, unused;
	if (period_at_time(s->kind, now, &cur) != 0 || period_next(&cur, &next) != 0)
		return true;	/* at the calendar's edge: nothing to compare with */
	char *perr = NULL;
	if (s->has_first)
		first = s->first;
	else if (first_key == NULL || period_parse(s->kind, first_key, &first, &perr) != 0)
		first = cur;
	free(perr);
	if (period_bounds(&pi->period, &asked, &unused) != 0 ||
	    period_bounds(&first, &lo, &unused) != 0 || period_bounds(&next, &hi, &unused) != 0)
		return true;
	if (lo > hi)
		lo = hi;
	if (asked >= lo && asked <= hi)
		return true;
	char a[PERIOD_ID_BUF], b[PERIOD_ID_BUF];
	period_format(lo == hi ? &next : &first, a);
	period_format(&next, b);
	*err = xasprintf("Kỳ %s nằm ngoài các kỳ của loại báo cáo này. Hãy chọn một kỳ từ %s "
			 "đến %s (kỳ hiện tại hoặc kỳ kế tiếp, hay một kỳ đã qua).", pi->id, a, b);
	return false;
}

/* Finds a period and brings its computed deadlines up to date; creates its row if create. */
static enum periods_result resolve_inner(PGconn *conn, const struct series_def *s,
					 const char *id, time_t now, struct period_info *out,
					 char **err, bool create, bool ranged)
{
	memset(out, 0, sizeof *out);
	out->series = s;
	enum periods_result rc = parse_id(s, id, now, out, err);
	if (rc != PERIODS_OK)
		return rc;
	/* One round trip: the series, the stored period and the calendar around the period. */
	cal_day first = 0, last = 0;
	bool dated = period_bounds(&out->period, &first, &last) == 0;
	char from[11] = "", to[11] = "";
	if (dated) {
		cal_format_date(first - 31, from);
		cal_format_date(last + 62, to);
	}
	const char *q[] = { s->name, out->id, dated ? from : NULL, dated ? to : NULL };
	PGresult *res = db_run(conn, "periods",
		"SELECT s.id, p.id, p.state, p.overridden, "
		"  extract(epoch FROM p.unit_deadline)::bigint, "
		"  extract(epoch FROM p.consolidation_deadline)::bigint, p.reason_code, p.reason, "
		"  (SELECT string_agg(to_char(day, 'YYYY-MM-DD') || kind, ',') FROM calendar_day "
		"   WHERE day BETWEEN $3::date AND $4::date), "
		"  (SELECT f.period_key FROM period f WHERE f.series_id = s.id "
		"   ORDER BY f.starts_on, f.id LIMIT 1) "
		"FROM series s LEFT JOIN period p ON p.series_id = s.id AND p.period_key = $2 "
		"WHERE s.name = $1 AND s.active", 4, q, err);
	if (res == NULL)
		return PERIODS_DB;
	if (PQntuples(res) == 0) {
		PQclear(res);
		*err = xasprintf("series '%s' is not in the database yet: run baocaoctl series sync",
				 s->name);
		return PERIODS_UNSYNCED;
	}
	char *sid = xstrdup(PQgetvalue(res, 0, 0));
	bool stored = !PQgetisnull(res, 0, 1);
	if (stored)
		fill_period(res, 1, out);
	if (stored && !create) {
		/* A reader sees the row as it is; the system keeps it up to date. */
		PQclear(res);
		free(sid);
		return PERIODS_OK;
	}
	if (!stored && !create && ranged && dated &&
	    !in_range(s, out, PQgetisnull(res, 0, 9) ? NULL : PQgetvalue(res, 0, 9), now, err)) {
		PQclear(res);
		free(sid);
		return PERIODS_OUT_OF_RANGE;
	}
	if (s->kind == PERIOD_ADHOC || !s->has_rules) {
		PQclear(res);
		free(sid);
		if (!stored) {
			*err = xasprintf("period '%s' of series '%s' does not exist; a coordinator "
					 "creates it by setting its deadlines", out->id, s->name);
			return PERIODS_NOT_FOUND;
		}
		return PERIODS_OK;
	}
	struct cal_calendar *cal = calendar_from_text(PQgetisnull(res, 0, 8) ? NULL :
						      PQgetvalue(res, 0, 8), err);
	PQclear(res);
	if (cal == NULL) {
		free(sid);
		return PERIODS_DB;
	}
	struct cal_deadline ud, cd;
	if (cal_deadline_compute(cal, &out->period, &s->unit_rule, s->shift, &ud, err) != 0 ||
	    cal_deadline_compute(cal, &out->period, &s->consolidation_rule, s->shift, &cd, err) != 0) {
		cal_calendar_free(cal);
		free(sid);
		return PERIODS_BAD_REQUEST;
	}
	cal_calendar_free(cal);

	char first_s[11], last_s[11], ut[32], ct[32];
	cal_format_date(first, first_s);
	cal_format_date(last, last_s);
	bool skipped = ud.skipped || cd.skipped;
	ts_param(ud.when, ut);
	ts_param(cd.when, ct);
	const struct cal_deadline *why = ud.reason_code ? &ud : &cd;
	if (!stored && !create) {
		/* Shown, not stored: only authenticated work creates period rows. */
		free(sid);
		out->skipped = skipped;
		snprintf(out->state, sizeof out->state, "%s", skipped ? "skipped" : "open");
		out->unit_deadline = ud.when;
		out->consolidation_deadline = cd.when;
		out->reason_code = why->reason_code ? xstrdup(why->reason_code) : NULL;
		out->reason = why->reason_code ? xstrdup(why->reason_vi) : NULL;
		return PERIODS_OK;
	}
	/* Most requests find the row as computed: write only when it must change. */
	if (stored && (out->overridden || (strcmp(out->state, "open") != 0 &&
						     strcmp(out->state, "skipped") != 0) ||
				 (out->skipped == skipped &&
				  (skipped || (out->unit_deadline == ud.when &&
					       out->consolidation_deadline == cd.when)) &&
				  ((out->reason == NULL && why->reason_code == NULL) ||
				   (out->reason && why->reason_code &&
				    strcmp(out->reason, why->reason_vi) == 0))))) {
		free(sid);
		return PERIODS_OK;
	}
	const char *p[] = { sid, out->id, first_s, last_s, skipped ? NULL : ut, skipped ? NULL : ct,
			    skipped ? "skipped" : "open", why->reason_code,
			    why->reason_code ? why->reason_vi : NULL };
	PGresult *r = db_run(conn, "periods",
		"INSERT INTO period AS p (series_id, period_key, starts_on, ends_on, unit_deadline, "
		"  consolidation_deadline, state, reason_code, reason) "
		"VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), to_timestamp($6::bigint), $7, $8, $9) "
		"ON CONFLICT (series_id, period_key) DO UPDATE SET "
		"  unit_deadline = EXCLUDED.unit_deadline, "
		"  consolidation_deadline = EXCLUDED.consolidation_deadline, state = EXCLUDED.state, "
		"  reason_code = EXCLUDED.reason_code, reason = EXCLUDED.reason, updated_at = now() "
		"WHERE NOT p.overridden AND p.state IN ('open', 'skipped') AND "
		"  (p.unit_deadline, p.consolidation_deadline, p.state, p.reason) IS DISTINCT FROM "
		"  (EXCLUDED.unit_deadline, EXCLUDED.consolidation_deadline, EXCLUDED.state, "
		"   EXCLUDED.reason)", 9, p, err);
	if (r == NULL) {
		free(sid);
		return PERIODS_DB;
	}
	PQclear(r);
	rc = read_period(conn, sid, out, err);
	free(sid);
	return rc;
}

/* resolve_inner, leaving nothing allocated in out when it fails. */
static enum periods_result resolve(PGconn *conn, const struct series_def *s, const char *id,
				   time_t now, struct period_info *out, char **err, bool create)
{
	enum periods_result rc = resolve_inner(conn, s, id, now, out, err, create, !create);
	if (rc != PERIODS_OK)
		period_info_free(out);
	return rc;
}

/* Finds any period without writing anything, whatever its distance from now. */
enum periods_result periods_compute(PGconn *conn, const struct series_def *s, const char *id,
				    time_t now, struct period_info *out, char **err)
{
	enum periods_result rc = resolve_inner(conn, s, id, now, out, err, false, false);
	if (rc != PERIODS_OK)
		period_info_free(out);
	return rc;
}

/* Finds a period without writing anything. */
enum periods_result periods_lookup(PGconn *conn, const struct series_def *s, const char *id,
				   time_t now, struct period_info *out, char **err)
{
	return resolve(conn, s, id, now, out, err, false);
}

/* Creates or refreshes one period by id. */
static enum periods_result sync_one(PGconn *conn, const struct series_def *s, const char *id,
				    time_t now, char **err)
{
	struct period_info pi;
	enum periods_result rc = resolve(conn, s, id, now, &pi, err, true);
	period_info_free(&pi);
	return rc;
}

#define SYNC_MAX_PERIODS 600	/* how far back the first period may lie: 11 years of weeks */

/* Creates the periods of a series from its first one (first_period, or the current one) to
 * the next one, and refreshes the computed deadlines of those still open. */
enum periods_result periods_sync(PGconn *conn, const struct series_def *s, time_t now,
				 char **err)
{
	if (s->kind == PERIOD_ADHOC || !s->has_rules)
		return PERIODS_OK;
	struct period cur, next, p;
	if (period_at_time(s->kind, now, &cur) != 0 || period_next(&cur, &next) != 0) {
		*err = xstrdup("periods: the clock is outside the calendar's range");
		return PERIODS_BAD_REQUEST;
	}
	cal_day first_day, next_day, unused;
	p = s->has_first ? s->first : cur;
	if (period_bounds(&p, &first_day, &unused) != 0 ||
	    period_bounds(&next, &next_day, &unused) != 0 || first_day > next_day)
		p = cur;
	/* What is stored: a period that is past its cut-off or set by hand is left alone. */
	const char *q[] = { s->name };
	PGresult *r = db_run(conn, "periods",
		"SELECT string_agg(p.period_key, ',') FROM period p JOIN series s "
		"ON s.id = p.series_id WHERE s.name = $1 AND "
		"(p.overridden OR p.state NOT IN ('open', 'skipped'))", 1, q, err);
	if (r == NULL)
		return PERIODS_DB;
	char *settled = xasprintf(",%s,", PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
	PQclear(r);
	enum periods_result rc = PERIODS_OK;
	for (int n = 0; rc == PERIODS_OK && n < SYNC_MAX_PERIODS; n++) {
		char id[PERIOD_ID_BUF], key[PERIOD_ID_BUF + 2];
		period_format(&p, id);
		snprintf(key, sizeof key, ",%s,", id);
		if (strstr(settled, key) == NULL)
			rc = sync_one(conn, s, id, now, err);
		if (period_equal(&p, &next) || period_next(&p, &p) != 0)
			break;
	}
	free(settled);
	if (rc != PERIODS_OK)
		return rc;
	/* Open periods stored beyond the next one (an override, or a clock that was ahead)
	 * follow the calendar too. */
	char after[CAL_DATE_BUF];
	cal_format_date(next_day, after);
	const char *q2[] = { s->name, after };
	r = db_run(conn, "periods",
		"SELECT p.period_key FROM period p JOIN series s ON s.id = p.series_id "
		"WHERE s.name = $1 AND p.starts_on > $2::date AND NOT p.overridden "
		"  AND p.state IN ('open', 'skipped') ORDER BY p.starts_on", 2, q2, err);
	if (r == NULL)
		return PERIODS_DB;
	for (int i = 0; i < PQntuples(r) && rc == PERIODS_OK; i++)
		rc = sync_one(conn, s, PQgetvalue(r, i, 0), now, err);
	PQclear(r);
	return rc;
}

/* Parses an RFC 3339 time or a local "YYYY-MM-DD HH:MM". */
int periods_parse_time(const char *s, time_t *out)
{
	if (clock_parse_rfc3339(s, out) == 0)
		return 0;
	char date[11];
	int h, m, n = 0;
	if (strlen(s) < 16 || sscanf(s, "%10s %2d:%2d%n", date, &h, &m, &n) != 3 ||
	    s[n] != '\0' || h > 23 || m > 59 || h < 0 || m < 0)
		return -1;
	cal_day day;
	if (cal_parse_date(date, &day) != 0)
		return -1;
	return cal_local_time(day, h * 60 + m, out);
}

/* Writes an instant as a quoted RFC 3339 JSON string, or null. */
static void quoted_time(bool present, time_t t, char buf[48])
{
	char text[40];
	if (present && cal_format_rfc3339(t, text, sizeof text) == 0)
		snprintf(buf, 48, "\"%s\"", text);
	else
		snprintf(buf, 48, "null");
}

/* An override's arguments, for its transaction. */
struct override {
	const struct series_def *s;
	const char *id;
	bool clear;
	time_t unit_deadline, consolidation_deadline;
	const char *note;
	long long account_id;
	const char *actor;
	time_t now;
};

/* The body of an override's transaction: returns a periods_result (0 commits). */
static int override_tx(PGconn *conn, void *arg, char **err)
{
	const struct override *o = arg;
	const struct series_def *s = o->s;
	const char *id = o->id;
	bool clear = o->clear;
	time_t unit_deadline = o->unit_deadline, consolidation_deadline = o->consolidation_deadline;
	const char *note = o->note, *actor = o->actor;
	long long account_id = o->account_id;
	time_t now = o->now;
	PGresult *r;
	struct period_info before;
	enum periods_result rc = resolve(conn, s, id, now, &before, err, true);
	if (rc == PERIODS_NOT_FOUND && s->kind == PERIOD_ADHOC && !clear) {
		/* An ad hoc period comes into being when its deadlines are set. */
		free(*err);
		*err = NULL;
		bool db_failed = false;
		char *sid = series_db_id(conn, s, err, &db_failed);
		rc = sid ? PERIODS_OK : db_failed ? PERIODS_DB : PERIODS_UNSYNCED;
		if (sid) {
			char ut[32], ct[32], today[11];
			cal_day d;
			int minute;
			if (cal_day_of_time(now, &d, &minute) != 0)
				d = 0;
			cal_format_date(d, today);
			ts_param(unit_deadline, ut);
			ts_param(consolidation_deadline, ct);
			const char *p[] = { sid, before.id, today, ut, ct };
			r = db_run(conn, "periods",
				"INSERT INTO period (series_id, period_key, starts_on, ends_on, "
				"  unit_deadline, consolidation_deadline, state) "
				"VALUES ($1, $2, $3, GREATEST($3::date, "
				"  (to_timestamp($5::bigint))::date), to_timestamp($4::bigint), "
				"  to_timestamp($5::bigint), 'open')", 5, p, err);
			rc = r ? PERIODS_OK : PERIODS_DB;
			PQclear(r);
			if (rc == PERIODS_OK)
				rc = read_period(conn, sid, &before, err);
			free(sid);
		}
	}
	if (rc == PERIODS_OK && strcmp(before.state, "open") != 0 &&
	    strcmp(before.state, "skipped") != 0) {
		*err = xasprintf("period %s of %s is already %s; its deadlines can no longer change",
				 before.id, s->name, before.state);
		rc = PERIODS_CONFLICT;
	}
	char old_u[48], old_c[48];
	if (rc == PERIODS_OK) {
		quoted_time(!before.skipped, before.unit_deadline, old_u);
		quoted_time(!before.skipped, before.consolidation_deadline, old_c);
		char idbuf[24], ut[32], ct[32];
		snprintf(idbuf, sizeof idbuf, "%lld", before.db_id);
		ts_param(unit_deadline, ut);
		ts_param(consolidation_deadline, ct);
		char *reason = clear ? NULL :
			xasprintf("Hạn nộp do điều phối viên ấn định%s%s", note && *note ? ": " : ".",
				  note && *note ? note : "");
		const char *p[] = { idbuf, ut, ct, reason };
		r = clear ? db_run(conn, "periods", "UPDATE period SET overridden = false, updated_at = now() "
				  "WHERE id = $1", 1, p, err)
			  : db_run(conn, "periods",
				  "UPDATE period SET unit_deadline = to_timestamp($2::bigint), "
				  "  consolidation_deadline = to_timestamp($3::bigint), overridden = true, "
				  "  state = 'open', reason_code = 'overridden', reason = $4, "
				  "  updated_at = now() WHERE id = $1", 4, p, err);
		free(reason);
		rc = r ? PERIODS_OK : PERIODS_DB;
		PQclear(r);
	}
	struct period_info after = { 0 };
	if (rc == PERIODS_OK)
		rc = resolve(conn, s, before.id, now, &after, err, true);
	if (rc == PERIODS_OK) {
		char new_u[48], new_c[48];
		quoted_time(!after.skipped, after.unit_deadline, new_u);
		quoted_time(!after.skipped, after.consolidation_deadline, new_c);
		struct strbuf detail = STRBUF_INIT;
		strbuf_addf(&detail, "{\"series\":\"%s\",\"period\":\"%s\",\"clear\":%s,"
			    "\"old_unit_deadline\":%s,\"old_consolidation_deadline\":%s,"
			    "\"unit_deadline\":%s,\"consolidation_deadline\":%s,",
			    s->name, before.id, clear ? "true" : "false", old_u, old_c, new_u, new_c);
		strbuf_adds(&detail, "\"note\":");
		json_quote(&detail, note ? note : "");
		strbuf_addc(&detail, '}');
		char object_id[96];
		snprintf(object_id, sizeof object_id, "%s/%s", s->name, before.id);
		struct audit_entry e = { account_id, actor, clear ? "clear_override" : "override",
					 "period", object_id, detail.data, NULL };
		if (audit_write(conn, &e, err) != 0)
			rc = PERIODS_DB;
		strbuf_free(&detail);
	}
	period_info_free(&before);
	period_info_free(&after);
	return rc;
}


/* Sets or clears a period's deadlines by hand. */
enum periods_result periods_override(PGconn *conn, const struct series_def *s, const char *id,
				     bool clear, time_t unit_deadline,
				     time_t consolidation_deadline, const char *note,
				     long long account_id, const char *actor, time_t now,
				     char **err)
{
	if (!clear && consolidation_deadline < unit_deadline) {
		*err = xstrdup("the consolidation deadline must not be before the units' deadline");
		return PERIODS_BAD_REQUEST;
	}
	struct override o = { s, id, clear, unit_deadline, consolidation_deadline, note,
			      account_id, actor, now };
	int rc = db_tx(conn, override_tx, &o, err);
	return rc == DB_TX_FAILED ? PERIODS_DB : (enum periods_result)rc;
}

/* Writes an instant as an RFC 3339 string, or null. */
static void json_time(struct json *j, const char *key, bool present, time_t t)
{
	char buf[40];
	json_key(j, key);
	if (present && cal_format_rfc3339(t, buf, sizeof buf) == 0)
		json_string(j, buf);
	else
		json_null(j);
}

/* Writes the period as a JSON object. */
void period_info_json(struct json *j, const struct period_info *pi)
{
	char title[160], text[96];
	json_object_begin(j);
	json_kv_string(j, "series", pi->series->name);
	json_kv_string(j, "period", pi->id);
	if (period_title_vi(&pi->period, title, sizeof title) == 0)
		json_kv_string(j, "title", title);
	json_time(j, "starts", pi->has_span, pi->starts);
	json_time(j, "ends", pi->has_span, pi->ends);
	json_time(j, "unit_deadline", !pi->skipped, pi->unit_deadline);
	json_time(j, "consolidation_deadline", !pi->skipped, pi->consolidation_deadline);
	json_key(j, "unit_deadline_text");
	if (!pi->skipped && cal_format_vi_long(pi->unit_deadline, text, sizeof text) == 0)
		json_string(j, text);
	else
		json_null(j);
	json_kv_string(j, "state", pi->state);
	json_kv_bool(j, "skipped", pi->skipped);
	json_kv_bool(j, "overridden", pi->overridden);
	json_kv_string(j, "reason_code", pi->reason_code);
	json_kv_string(j, "reason", pi->reason);
	json_object_end(j);
}

/* Fixes a period's roster once. */
int periods_roster_fix(PGconn *conn, long long period_id, time_t now, char **err)
{
	char pid[24], nowbuf[24];
	snprintf(pid, sizeof pid, "%lld", period_id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *p[] = { pid, nowbuf };
	PGresult *r = db_run(conn, "periods",
		"SELECT period_roster_open($1::bigint, to_timestamp($2::bigint))", 2, p, err);
	if (r == NULL)
		return -1;
	int fixed = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return fixed;
}

/* Refreshes the rosters of the periods still open. */
int periods_roster_refresh(PGconn *conn, const char *series_id, time_t now, char **err)
{
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *p[] = { series_id, nowbuf };
	PGresult *r = db_run(conn, "periods",
		"SELECT period_roster_refresh($1::bigint, to_timestamp($2::bigint))", 2, p, err);
	if (r == NULL)
		return -1;
	int n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

/* Frees what a period_info holds. */
void period_info_free(struct period_info *pi)
{
	free(pi->reason_code);
	free(pi->reason);
	pi->reason_code = pi->reason = NULL;
}

/* A series' latest periods: the ones begun and the next. */
PGresult *periods_latest(PGconn *conn, const char *series, time_t now, int limit, char **err)
{
	char nowbuf[24], max[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(max, sizeof max, "%d", limit);
	const char *p[] = { series, nowbuf, max };
	return db_run(conn, "periods",
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
}

/* A series' periods that have begun. */
PGresult *periods_recent(PGconn *conn, const char *series, time_t now, int limit, char **err)
{
	char at[24], max[16];
	snprintf(at, sizeof at, "%lld", (long long)now);
	snprintf(max, sizeof max, "%d", limit);
	const char *p[] = { series, at, max };
	return db_run(conn, "recent periods",
		"SELECT p.period_key, to_char(p.starts_on, 'YYYY-MM-DD'), "
		"  to_char(p.ends_on, 'YYYY-MM-DD'), p.state "
		"FROM period p JOIN series s ON s.id = p.series_id "
		"WHERE s.name = $1 AND p.starts_on <= to_timestamp($2::bigint)::date "
		"ORDER BY p.starts_on DESC LIMIT $3::int", 3, p, err);
}

/* A series' periods that have begun, with one unit's report in each. */
PGresult *periods_recent_of_unit(PGconn *conn, const char *series, long long unit_id,
				 time_t now, int limit, char **err)
{
	char unit[24], at[24], max[16];
	snprintf(unit, sizeof unit, "%lld", unit_id);
	snprintf(at, sizeof at, "%lld", (long long)now);
	snprintf(max, sizeof max, "%d", limit);
	const char *p[] = { series, unit, at, max };
	return db_run(conn, "recent periods",
		"SELECT p.period_key, to_char(p.starts_on, 'YYYY-MM-DD'), "
		"  to_char(p.ends_on, 'YYYY-MM-DD'), p.state, b.version, b.on_time "
		"FROM period p JOIN series s ON s.id = p.series_id "
		"LEFT JOIN submission b ON b.period_id = p.id AND b.unit_id = $2 "
		"  AND NOT b.superseded "
		"WHERE s.name = $1 AND p.starts_on <= to_timestamp($3::bigint)::date "
		"ORDER BY p.starts_on DESC LIMIT $4::int", 4, p, err);
}
