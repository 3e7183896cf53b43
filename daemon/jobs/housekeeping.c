/* The daemon's own periodic work: following the series in the database, opening their
 * periods, planning their jobs, purging old rows. */
#include "housekeeping.h"
#include "clock.h"
#include "config.h"
#include "consolidation.h"
#include "db.h"
#include "log.h"
#include "recurring.h"
#include "remind.h"
#include "periods.h"
#include "retention.h"
#include "scheduler.h"
#include "series_store.h"
#include "spacewatch.h"
#include "util.h"
#include "worker.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

static _Atomic bool forced;	/* read the series again even if they look unchanged */
static struct recurring *task;

/* After a step failed: checks the connection and logs the step's error unless the connection
 * broke (the whole run is then tried again, or given up, by housekeeping_run); frees *err.
 * Returns whether the connection broke: nothing more may be asked of it. */
static bool step_broke(struct db *db, const char *what, const char *tail, char **err)
{
	db_check_failure(db, NULL);
	bool lost = db_connection_lost(db);
	if (!lost)
		log_warn("housekeeping", "%s%s%s", what, *err ? *err : "failed", tail);
	free(*err);
	*err = NULL;
	return lost;
}

/* One pass of the work on conn: reads the series if they changed, creates the periods of
 * every series up to the next one, plans the jobs of those periods, escalates deliveries that
 * do not arrive, reminds the units of their extended deadlines, purges stale login counts and old raw files. Returns false when it stopped at a broken
 * connection. */
static bool housekeeping_pass(struct db *db, PGconn *conn, bool force)
{
	char *err = NULL;
	int changed = series_store_refresh(conn, force, &err);
	if (changed < 0) {
		if (step_broke(db, "", "; the series in force stay", &err))
			return false;
	} else if (changed > 0) {
		log_info("series", "%zu series read from the database", series_current()->n);
	}
	const struct series_list *list = series_current();
	time_t now = clock_now();
	for (size_t i = 0; i < list->n; i++) {
		enum periods_result rc = periods_sync(conn, &list->items[i], now, &err);
		if (rc == PERIODS_OK)
			continue;
		if (rc != PERIODS_DB) {
			log_warn("housekeeping", "periods of %s: %s", list->items[i].name,
				 err ? err : "failed");
			free(err);
			err = NULL;
			continue;
		}
		char *what = xasprintf("periods of %s: ", list->items[i].name);
		bool lost = step_broke(db, what, "", &err);
		free(what);
		if (lost)
			return false;
	}
	if (scheduler_plan(conn, now, &err) != 0 && step_broke(db, "planning the jobs: ", "", &err))
		return false;
	scheduler_request();
	int escalated = 0;
	if (consolidation_escalate(conn, now, &escalated, &err) != 0 &&
	    step_broke(db, "deliveries: ", "", &err))
		return false;
	int reminded = 0;
	if (remind_extensions(conn, now, &reminded, &err) != 0 &&
	    step_broke(db, "reminders of extensions: ", "", &err))
		return false;
	if (reminded > 0)
		log_info("remind", "%d reminder%s of extended deadlines queued", reminded,
			 reminded == 1 ? "" : "s");
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *p[] = { nowbuf };
	PGresult *r = db_run(conn, "login failures",
		"DELETE FROM login_failure WHERE window_start < to_timestamp($1::bigint) - "
		"interval '1 day' AND (blocked_until IS NULL OR "
		"blocked_until < to_timestamp($1::bigint))", 1, p, &err);
	if (r == NULL)
		return !step_broke(db, "", "", &err);
	PQclear(r);
	long long removed = retention_run(conn, now, config_current()->raw_retention, &err);
	if (removed < 0)
		return !step_broke(db, "raw file retention: ", "", &err);
	if (removed > 0)
		log_info("storage", "removed the raw files of %lld old versions (raw_retention)",
			 removed);
	return true;
}

/* Worker: one run of the work. A connection found broken (the database restarted since this
 * worker last used it, as after the listener's reconnection that asks for this run) is
 * dropped and the run made once more on a new one: every step may be done twice. A run that
 * could not be made (the database away) is made again after a short backoff, so that the
 * jobs are planned as soon as the database answers. */
static void housekeeping_run(struct db *db, void *arg)
{
	/* Taken and cleared at once, so that a kick during this run is not lost. */
	bool force = atomic_exchange(&forced, false);
	spacewatch_run(db_conn(db));	/* the disks even when the database is away */
	for (int attempt = 0; attempt < 2; attempt++) {
		PGconn *conn = db_conn(db);
		if (conn == NULL) {
			log_debug("housekeeping", "skipped: the database is unavailable");
			break;
		}
		if (housekeeping_pass(db, conn, force))
			return;
		if (attempt == 0)
			log_info("housekeeping", "the database connection was broken (%s); running "
				 "once more on a new one", db_last_error(db));
		else
			log_warn("housekeeping", "the database connection was broken again (%s); "
				 "trying again shortly", db_last_error(db));
	}
	if (force)	/* the retry reads the series again too */
		atomic_store(&forced, true);
	recurring_retry(task);
}

/* Starts the timer and the first run. */
int housekeeping_start(struct event_base *base, long long interval_ms)
{
	task = recurring_start(base, "housekeeping", interval_ms, housekeeping_run, NULL);
	if (task == NULL)
		return -1;
	recurring_kick(task);
	return 0;
}

/* Runs the work again soon, reading the series again whatever their version. */
void housekeeping_kick(void)
{
	forced = true;
	recurring_kick(task);
}

/* From any thread: asks the loop to run the work soon (after the clock moved). */
void housekeeping_request(void)
{
	forced = true;
	recurring_request(task);
}

/* Stops the timer. */
void housekeeping_stop(void)
{
	recurring_stop(task);
	task = NULL;
}
