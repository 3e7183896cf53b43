/* The kinds of scheduled job: when each is due, what a run does, what a late run does. The
 * scheduler (scheduler.c) plans, claims and records; this is the table it works from. */
#ifndef BAOCAO_JOBS_H
#define BAOCAO_JOBS_H

#include "periods.h"
#include "scheduler.h"
#include "series.h"

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

/* The kinds of job; a new kind is one more row. */
extern const struct scheduler_kind job_kinds[];
extern const size_t job_nkinds;

#endif
