/* The daemon's own periodic work: following the series in the database, opening their
 * periods, purging old rows. */
#include "housekeeping.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "periods.h"
#include "series_store.h"
#include "worker.h"

#include <stdbool.h>
#include <stdlib.h>

static struct event *timer;
static bool queued;	/* a run is queued or running (loop thread only) */
static _Atomic bool forced;	/* read the series again even if they look unchanged */

/* Worker: reads the series if they changed, creates the periods of every series up to the
 * next one, purges stale login counts. */
static void housekeeping_run(struct db *db, void *arg)
{
	PGconn *conn = db_conn(db);
	if (conn == NULL) {
		log_debug("housekeeping", "skipped: the database is unavailable");
		return;
	}
	char *err = NULL;
	int changed = series_store_refresh(conn, forced, &err);
	forced = false;
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
	}
	PQclear(r);
}

/* Loop: the run is over. */
static void housekeeping_done(void *arg, bool ran)
{
	queued = false;
}

/* Loop: queues a run unless one is queued already. */
static void housekeeping_queue(evutil_socket_t fd, short what, void *arg)
{
	if (queued)
		return;
	if (worker_submit(housekeeping_run, housekeeping_done, NULL))
		queued = true;
	else
		log_warn("housekeeping", "the queue is full; trying again at the next tick");
}

/* Starts the timer and the first run. */
int housekeeping_start(struct event_base *base, long long interval_ms)
{
	timer = event_new(base, -1, EV_PERSIST, housekeeping_queue, NULL);
	struct timeval tv = { (time_t)(interval_ms / 1000), (suseconds_t)(interval_ms % 1000) * 1000 };
	if (timer == NULL || event_add(timer, &tv) != 0)
		return -1;
	housekeeping_queue(-1, 0, NULL);
	return 0;
}

/* Runs the work again soon, reading the series again whatever their version. */
void housekeeping_kick(void)
{
	forced = true;
	housekeeping_queue(-1, 0, NULL);
}

/* From any thread: asks the loop to run the work soon (after the clock moved). */
void housekeeping_request(void)
{
	forced = true;
	if (timer)
		event_active(timer, EV_TIMEOUT, 0);
}

/* Stops the timer. */
void housekeeping_stop(void)
{
	if (timer) {
		event_free(timer);
		timer = NULL;
	}
}
