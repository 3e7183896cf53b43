/* Work the daemon does by itself every so often: one timer per task, a run at a time on a
 * worker thread. */
#include "recurring.h"
#include "db.h"
#include "config.h"
#include "log.h"
#include "util.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

struct recurring {
	const char *name;
	struct event *timer;
	worker_fn fn;
	void *arg;
	bool queued;		/* a run is queued or running (loop thread only) */
	bool again;		/* kicked while a run was queued: run once more after it */
	_Atomic bool requested;	/* another thread asked for a run (recurring_request) */
	struct event *retry;	/* one-shot: the run again after a failed one */
	long long backoff;	/* ms before that run; 0 after a run that did its work */
	_Atomic bool failed;	/* the current run could not do its work (recurring_retry) */
};

#define RETRY_MIN_MS 250

static void recurring_queue(evutil_socket_t fd, short what, void *arg);

/* Worker: one run of the task. */
static void recurring_run(struct db *db, void *arg)
{
	struct recurring *p = arg;
	p->fn(db, p->arg);
	/* A run that failed for want of the database is retried on this task's own timer;
	 * its attempt leaves the worker's requests no delay to wait out once it is back. */
	if (atomic_load(&p->failed))
		db_backoff_clear(db);
}

/* Loop: a run that had failed is due again. */
static void recurring_retry_due(evutil_socket_t fd, short what, void *arg)
{
	recurring_queue(-1, 0, arg);
}

/* Loop: arms the run again after a failed one, the delay doubling from RETRY_MIN_MS up to
 * database.reconnect_max; a run that did its work sets the delay back. */
static void recurring_backoff(struct recurring *p)
{
	if (!atomic_exchange(&p->failed, false)) {
		p->backoff = 0;
		return;
	}
	const struct config *cfg = config_current();
	long long cap = cfg ? cfg->reconnect_max : 10000;
	p->backoff = p->backoff ? p->backoff * 2 : RETRY_MIN_MS;
	if (p->backoff > cap)
		p->backoff = cap;
	struct timeval tv = { (time_t)(p->backoff / 1000), (suseconds_t)(p->backoff % 1000) * 1000 };
	if (event_add(p->retry, &tv) != 0)
		log_warn(p->name, "cannot arm the retry; the next run is at the next tick");
}

/* Loop: a run is over; another one follows if it was kicked meanwhile, or after a backoff if
 * it failed. */
static void recurring_done(void *arg, bool ran)
{
	struct recurring *p = arg;
	p->queued = false;
	if (!ran)
		log_warn(p->name, "a run waited too long in the queue and did not run");
	recurring_backoff(p);
	if (p->again) {
		p->again = false;
		recurring_queue(-1, 0, p);
	}
}

/* Loop: queues a run unless one is queued already (then a kick asks for one more after it). */
static void recurring_queue(evutil_socket_t fd, short what, void *arg)
{
	struct recurring *p = arg;
	bool kicked = what == 0 || atomic_exchange(&p->requested, false);
	if (p->queued) {
		if (kicked)
			p->again = true;
		return;
	}
	if (worker_submit(recurring_run, recurring_done, p))
		p->queued = true;
	else
		log_warn(p->name, "the queue is full; trying again at the next tick");
}

/* Starts the timer and the first run. */
struct recurring *recurring_start(struct event_base *base, const char *name, long long interval_ms,
				worker_fn fn, void *arg)
{
	struct recurring *p = xcalloc(1, sizeof *p);
	p->name = name;
	p->fn = fn;
	p->arg = arg;
	p->timer = event_new(base, -1, EV_PERSIST, recurring_queue, p);
	p->retry = evtimer_new(base, recurring_retry_due, p);
	struct timeval tv = { (time_t)(interval_ms / 1000), (suseconds_t)(interval_ms % 1000) * 1000 };
	if (p->timer == NULL || p->retry == NULL || event_add(p->timer, &tv) != 0) {
		if (p->timer)
			event_free(p->timer);
		if (p->retry)
			event_free(p->retry);
		free(p);
		return NULL;
	}
	return p;
}

/* Runs it again soon. */
void recurring_kick(struct recurring *p)
{
	if (p)
		recurring_queue(-1, 0, p);
}

/* From any thread: makes the timer fire now, as a kick. */
void recurring_request(struct recurring *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->requested, true);
	event_active(p->timer, EV_TIMEOUT, 0);
}

/* From the run itself (a worker): it could not do its work; run it again after a backoff. */
void recurring_retry(struct recurring *p)
{
	if (p)
		atomic_store(&p->failed, true);
}

/* Stops and frees it. */
void recurring_stop(struct recurring *p)
{
	if (p == NULL)
		return;
	event_free(p->retry);
	event_free(p->timer);
	free(p);
}
