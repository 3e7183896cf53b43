/* A unit's timeline in a period: everything about its report, oldest first, in one query. */
#ifndef BAOCAO_TIMELINE_H
#define BAOCAO_TIMELINE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

/* The most events one answer lists (a unit's period has a few dozen at most). */
#define TIMELINE_MAX 1000

/* What the timeline is about. */
struct timeline_query {
	long long period_id;	/* a stored period */
	const char *series;	/* its series' name */
	const char *period;	/* its key ("2026-W50") */
	const char *unit;	/* the unit's code */
	time_t now;		/* an unfixed roster: the period counts as opened from its start */
	int limit;		/* at most this many events (TIMELINE_MAX) */
	bool addresses;		/* where the unit's messages went: each address (a webhook as
				   "webhook"); false: address null (the recipient) */
};

/*
 * The unit's events in the period, oldest first, in one row: events (a JSON array of
 * objects, each with at (RFC 3339), kind and its details; docs/api.md lists them), truncated
 * (more than limit events), the unit's name (NULL: no such unit), member (the unit must report
 * in the period). NULL with *err.
 */
PGresult *timeline_unit(PGconn *conn, const struct timeline_query *q, char **err);

#endif
