/* Periods of a series: their deadlines from the rules and the calendar, overrides, JSON. */
#ifndef BAOCAO_PERIODS_H
#define BAOCAO_PERIODS_H

#include "calendar.h"
#include "json.h"
#include "series.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

/* Results of the functions below. */
enum periods_result {
	PERIODS_OK = 0,
	PERIODS_BAD_REQUEST = 1,	/* a wrong period id or argument: *err says what */
	PERIODS_DB = 2,			/* a database failure: *err for the log */
	PERIODS_NOT_FOUND = 3,		/* an ad hoc period nobody has created */
	PERIODS_CONFLICT = 4,		/* the period is past the point where it may change */
	PERIODS_UNSYNCED = 5,		/* the series is not in the database: series sync */
	PERIODS_OUT_OF_RANGE = 6,	/* before the first period or after the next one */
};

/* What is known of one period. */
struct period_info {
	const struct series_def *series;
	struct period period;
	char id[PERIOD_ID_BUF];
	long long db_id;
	bool has_span;			/* false for ad hoc periods */
	time_t starts, ends;		/* local midnight of the first day; exclusive end */
	bool skipped;
	bool overridden;
	time_t unit_deadline, consolidation_deadline;	/* unless skipped */
	char state[16];
	char *reason_code;		/* NULL or "no_working_day", "shifted_previous"... */
	char *reason;			/* NULL or a Vietnamese sentence */
};

/*
 * Finds the period of a series named by id ("2026-W47", or "current" for the one open at
 * now) without writing anything: its stored row, or, for a period without one, its deadlines
 * computed from the rules and the calendar (db_id 0). A period before the series' first
 * stored one or after the next one is PERIODS_OUT_OF_RANGE, with *err a Vietnamese sentence
 * naming the valid range.
 */
enum periods_result periods_lookup(PGconn *conn, const struct series_def *s, const char *id,
				   time_t now, struct period_info *out, char **err);
/* As periods_lookup for any period, however far from now (for administrators' tools). */
enum periods_result periods_compute(PGconn *conn, const struct series_def *s, const char *id,
				    time_t now, struct period_info *out, char **err);
/*
 * The system's side: creates the periods of a series from its first one (first_period, or
 * the current one) to the next one, and brings the computed deadlines of those still open
 * (and not set by hand) up to date with the calendar.
 */
enum periods_result periods_sync(PGconn *conn, const struct series_def *s, time_t now,
				 char **err);
/*
 * Sets a period's deadlines by hand (creating an ad hoc period), in one transaction with an
 * audit entry. With clear, drops the override and computes the deadlines again.
 */
enum periods_result periods_override(PGconn *conn, const struct series_def *s, const char *id,
				     bool clear, time_t unit_deadline,
				     time_t consolidation_deadline, const char *note,
				     long long account_id, const char *actor, time_t now,
				     char **err);
/* Parses "2026-05-04T11:00:00+07:00" or local "2026-05-04 11:00"; returns 0 or -1. */
int periods_parse_time(const char *s, time_t *out);
/* Fixes who must report in the period and on which tasks, unless already fixed (the "open"
 * job). Returns 1 when it fixed them, 0 when they were fixed before, -1 with *err. */
int periods_roster_fix(PGconn *conn, long long period_id, time_t now, char **err);
/* After an import (inside its transaction): periods still open before their unit deadline
 * take the catalogue as it now is; past periods keep theirs. series_id NULL: every series.
 * Returns the number of periods refreshed, or -1 with *err. */
int periods_roster_refresh(PGconn *conn, const char *series_id, time_t now, char **err);
/* Writes the period as a JSON object. */
void period_info_json(struct json *j, const struct period_info *pi);
void period_info_free(struct period_info *pi);

/* A series' latest periods, newest first: those begun at now and the next (at most limit):
 * period_key, starts_on, ends_on, unit_deadline and consolidation_deadline (RFC 3339 in +07:00,
 * or NULL), overridden, state, reason (or ""); NULL with *err. */
PGresult *periods_latest(PGconn *conn, const char *series, time_t now, int limit, char **err);
/* A series' periods begun at now, newest first (at most limit): period_key, starts_on,
 * ends_on, state; NULL with *err. */
PGresult *periods_recent(PGconn *conn, const char *series, time_t now, int limit, char **err);
/* As periods_recent, with the unit's report in force in each: its version and on_time (NULL
 * when none); NULL with *err. */
PGresult *periods_recent_of_unit(PGconn *conn, const char *series, long long unit_id,
				 time_t now, int limit, char **err);

#endif
