/* The working-day calendar in the database: one day's entry written or removed. */
#include "calendar_store.h"
#include "db.h"
#include "json.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Adds or updates one day. */
int calendar_store_day(PGconn *conn, cal_day day, enum cal_day_kind kind, const char *note,
		       char **err)
{
	char date[CAL_DATE_BUF];
	cal_format_date(day, date);
	const char *params[] = { date, cal_day_kind_name(kind), note };
	PGresult *r = db_run(conn, "calendar",
		"INSERT INTO calendar_day AS c (day, kind, note) VALUES ($1, $2, $3) "
		"ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, note = EXCLUDED.note, "
		"  updated_at = now() "
		"WHERE (c.kind, c.note) IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.note) "
		"RETURNING (xmax = 0)", 3, params, err);
	if (r == NULL)
		return -1;
	int outcome = PQntuples(r) == 0 ? CALENDAR_UNCHANGED :
		      strcmp(PQgetvalue(r, 0, 0), "t") == 0 ? CALENDAR_ADDED : CALENDAR_UPDATED;
	PQclear(r);
	return outcome;
}

struct day_change {
	cal_day day;
	enum cal_day_kind kind;
	const char *note;
	bool remove;
	const struct audit_who *who;
	int outcome;
};

/* The body of a day's change: the row, then the audit entry when something changed. */
static int change_tx(PGconn *conn, void *arg, char **err)
{
	struct day_change *c = arg;
	char date[CAL_DATE_BUF];
	cal_format_date(c->day, date);
	if (c->remove) {
		const char *p[] = { date };
		PGresult *r = db_run(conn, "calendar", "DELETE FROM calendar_day WHERE day = $1",
				     1, p, err);
		if (r == NULL)
			return -1;
		c->outcome = atoi(PQcmdTuples(r)) > 0;
		PQclear(r);
	} else {
		c->outcome = calendar_store_day(conn, c->day, c->kind, c->note, err);
		if (c->outcome < 0)
			return -1;
	}
	if (c->outcome == 0)
		return 0;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_object_begin(&j);
	if (!c->remove) {
		json_kv_string(&j, "kind", cal_day_kind_name(c->kind));
		json_kv_string(&j, "note", c->note);
	}
	json_object_end(&j);
	int rc = audit_write_by(conn, c->who, c->remove ? "remove" : "set", "calendar", date,
				strbuf_str(&sb), err);
	strbuf_free(&sb);
	return rc;
}

/* Sets one day in its own transaction. */
int calendar_store_set(PGconn *conn, cal_day day, enum cal_day_kind kind, const char *note,
		       const struct audit_who *who, char **err)
{
	struct day_change c = { day, kind, note, false, who, 0 };
	return db_tx(conn, change_tx, &c, err) == 0 ? c.outcome : -1;
}

/* Removes one day's entry. */
int calendar_store_remove(PGconn *conn, cal_day day, const struct audit_who *who, char **err)
{
	struct day_change c = { day, CAL_HOLIDAY, NULL, true, who, 0 };
	return db_tx(conn, change_tx, &c, err) == 0 ? c.outcome : -1;
}

/* The days entered for a year, or all. */
PGresult *calendar_store_list(PGconn *conn, const char *year, char **err)
{
	const char *p[] = { year };
	return db_run(conn, "calendar",
		"SELECT to_char(day, 'YYYY-MM-DD'), kind, note, to_char(day, 'Dy') "
		"FROM calendar_day WHERE $1::text IS NULL OR extract(year FROM day)::text = $1 "
		"ORDER BY day", 1, p, err);
}
