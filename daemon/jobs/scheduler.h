/* The scheduler: each occurrence of a job is a job_run row planned from the series and their
 * periods, claimed under a lease when due and run once across the daemons of one database. */
#ifndef BAOCAO_SCHEDULER_H
#define BAOCAO_SCHEDULER_H

#include "periods.h"
#include "series.h"

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* What to do with an occurrence found due after its time had passed. */
enum scheduler_catchup {
	SCHEDULER_RUN_LATE,		/* run it once, late, and say so */
	SCHEDULER_RUN_LATE_IF_PLANNED,	/* the same, if it was planned before its time; one
					   first planned after it is recorded as skipped */
	SCHEDULER_SKIP_PAST,	/* skip it (recorded as skipped) once past the kind's deadline */
};

/* One claimed occurrence, as a job kind's run function sees it. */
struct scheduler_run {
	const struct scheduler_kind *kind;
	const char *id, *attempt;	/* the row and this attempt, fencing every write */
	const char *series, *period;	/* series name, period key */
	int slot;
	time_t due;
	bool late;
	long long lease_from_ms;	/* when the lease was last taken or renewed */
	const char *instance;
};

/* One kind of job: when its occurrences are due, what a run does, what a late one does. */
struct scheduler_kind {
	const char *name;
	/* The due time of occurrence slot of a period; false when the period has no such slot. */
	bool (*due)(const struct series_def *s, const struct period_info *pi, int slot,
		    time_t *out);
	/* Runs an occurrence; 0 with *outcome (new string), or -1 with *err. */
	int (*run)(PGconn *conn, struct scheduler_run *run, char **outcome, char **err);
	enum scheduler_catchup catchup;
	/* With SCHEDULER_SKIP_PAST: the time after which a run is no longer meaningful. */
	bool (*deadline)(const struct period_info *pi, int slot, time_t *out);
};

/* The kinds of job the scheduler plans and runs, handed to it by whoever starts it. */
struct scheduler_table {
	const struct scheduler_kind *kinds;
	size_t nkinds;
	/* Called on the runner's thread after a run that succeeded (committed), so that what
	 * it queued goes now (the outbox asked to send); NULL for nothing. */
	void (*after_run)(void);
};

/* Loop thread: arms the timer and starts the runner (its first run is at once); instance
 * ("host:pid") names this daemon's leases; table is the kinds of job it plans and runs
 * (copied; the kinds themselves must outlive the scheduler). Returns 0 or -1. */
int scheduler_start(struct event_base *base, const char *instance,
		    const struct scheduler_table *table);
/* Any thread: asks for a run of the due occurrences soon, and the timer to be armed again
 * from the database (after planning, or after the clock moved). */
void scheduler_request(void);
/* Any thread: the next due time the runner found, in ms since the epoch; -1 when none is
 * known (none planned, or not asked yet). */
long long scheduler_next_due(void);
/* Loop thread: stops the timer and the runner. */
void scheduler_stop(void);

/*
 * Worker: marks runs whose lease ran out as interrupted, checks this daemon's clock against
 * PostgreSQL's, and inserts (or moves, while still due) the occurrences of every job for the
 * current and the next period of every dated series, of the kinds handed to scheduler_start
 * (none before it). Returns 0, or -1 with *err.
 */
int scheduler_plan(PGconn *conn, time_t now, char **err);

/* For a run that works long: extends its lease when more than half of it has passed. Returns
 * 0, or -1 with *err when the lease was lost (another daemon took the run over: stop). */
int scheduler_lease_keep(PGconn *conn, struct scheduler_run *run, char **err);

#endif
