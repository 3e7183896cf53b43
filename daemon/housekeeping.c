/* The daemon's own periodic work: following the series in the database, opening their
 * periods, planning their jobs, purging old rows and old raw files, watching the space left. */
#include "housekeeping.h"
#include "clock.h"
#include "config.h"
#include "consolidation.h"
#include "db.h"
#include "log.h"
#include "periodic.h"
#include "periods.h"
#include "retention.h"
#include "scheduler.h"
#include "series_store.h"
#include "spacewatch.h"
#include "worker.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

static _Atomic bool forced;	/* read the series again even if they look unchanged */

/* Worker: reads the series if they changed, creates the periods of every series up to the
 * next one, plans the jobs of those periods, escalates deliveries that do not arrive, purges
 * stale login counts and old raw files, measures the space left. */
static void housekeeping_run(struct db *db, void *arg)
{
	PGconn *conn = db_conn(db);
	spacewatch_run(conn);		/* the disks even when the database is away */
	if (conn == NULL) {
		log_debug("housekeeping", "skipped: the database is unavailable");
		return;
	}
	char *err = NULL;
	/* Taken and cleared at once, so that a kick during this run is not lost. */
	int changed = series_store_refresh(conn, atomic_exchange(&forced, false), &err);
	if (changed < 0) {
		db_check_failure(db, NULL);
		log_warn("housekeeping", "%s; the series in force stay", err);
		free(err);
		err = NULL;
	} else if (changed > 0) {
		log_info("series", "%zu series read from the database", series_current()->n);
	}
	const struct series_list *list = series_current();
	time_t now = clock_now();
	for (size_t i = 0; i < list->n; i++) {
		enum periods_result rc = periods_sync(conn, &list->items[i], now, &err);
		if (rc == PERIODS_DB)
			db_check_failure(db, NULL);
		if (rc != PERIODS_OK) {
			log_warn("housekeeping", "periods of %s: %s", list->items[i].name,
				 err ? err : "failed");
			free(err);
			err = NULL;
		}
	}
	if (scheduler_plan(conn, now, &err) != 0) {
		db_check_failure(db, NULL);
		log_warn("housekeeping", "planning the jobs: %s", err ? err : "failed");
		free(err);
		err = NULL;
	}
	scheduler_request();
	int escalated = 0;
	if (consolidation_escalate(conn, now, &escalated, &err) != 0) {
		db_check_failure(db, NULL);
		log_warn("housekeeping", "deliveries: %s", err ? err : "failed");
		free(err);
		err = NULL;
	}
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *p[] = { nowbuf };
	PGresult *r = db_run(conn, "login failures",
		"DELETE FROM login_failure WHERE window_start < to_timestamp($1::bigint) - "
		"interval '1 day' AND (blocked_until IS NULL OR "
		"blocked_until < to_timestamp($1::bigint))", 1, p, &err);
	if (r == NULL) {
		log_warn("housekeeping", "%s", err);
		free(err);
		err = NULL;
	}
	PQclear(r);
	long long removed = retention_run(conn, now, config_current()->raw_retention, &err);
	if (removed < 0) {
		db_check_failure(db, NULL);
		log_warn("housekeeping", "%s", err ? err : "raw file retention failed");
		free(err);
	} else if (removed > 0) {
		log_info("storage", "removed the raw files of %lld old versions (raw_retention)",
			 removed);
	}
}

static struct periodic *task;

/* Starts the timer and the first run. */
int housekeeping_start(struct event_base *base, long long interval_ms)
{
	task = periodic_start(base, "housekeeping", interval_ms, housekeeping_run, NULL);
	return task ? 0 : -1;
}

/* Runs the work again soon, reading the series again whatever their version. */
void housekeeping_kick(void)
{
	forced = true;
	periodic_kick(task);
}

/* From any thread: asks the loop to run the work soon (after the clock moved). */
void housekeeping_request(void)
{
	forced = true;
	periodic_request(task);
}

/* Stops the timer. */
void housekeeping_stop(void)
{
	periodic_stop(task);
	task = NULL;
}
