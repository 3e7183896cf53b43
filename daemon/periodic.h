/* Work the daemon does by itself every so often: one timer per task, a run at a time on a
 * worker thread. */
#ifndef BAOCAO_PERIODIC_H
#define BAOCAO_PERIODIC_H

#include "worker.h"

#include <event2/event.h>

struct periodic;

/* Runs fn on a worker now and then every interval_ms, never two runs at once. NULL on failure. */
struct periodic *periodic_start(struct event_base *base, const char *name, long long interval_ms,
				worker_fn fn, void *arg);
/* Loop thread: runs it again as soon as the current run (if any) is over. */
void periodic_kick(struct periodic *p);
/* Any thread: asks the loop to kick it. */
void periodic_request(struct periodic *p);
/* Stops the timer and frees it (loop thread, after the workers have stopped). */
void periodic_stop(struct periodic *p);

#endif
