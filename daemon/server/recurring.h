/* Work the daemon does by itself every so often: one timer per task, a run at a time on a
 * worker thread. */
#ifndef BAOCAO_PERIODIC_H
#define BAOCAO_PERIODIC_H

#include "worker.h"

#include <event2/event.h>

struct recurring;

/* Runs fn on a worker every interval_ms, never two runs at once; NULL on failure. The first
 * run is the caller's recurring_kick(), once it has kept the handle where fn finds it (for
 * recurring_retry): the run would otherwise race with that store. */
struct recurring *recurring_start(struct event_base *base, const char *name, long long interval_ms,
				worker_fn fn, void *arg);
/* Loop thread: runs it again as soon as the current run (if any) is over. */
void recurring_kick(struct recurring *p);
/* Any thread: asks the loop to kick it. */
void recurring_request(struct recurring *p);
/*
 * From the run itself (on its worker): it could not do its work (the database away or its
 * connection broken); it runs again after a delay that doubles from 250 ms up to
 * database.reconnect_max, rather than at the next interval, until a run does not call this.
 */
void recurring_retry(struct recurring *p);
/* Stops the timer and frees it (loop thread, after the workers have stopped). */
void recurring_stop(struct recurring *p);

#endif
