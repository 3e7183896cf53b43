/* Work the daemon does by itself every so often: one timer per task, a run at a time on a
 * worker thread. */
#include "periodic.h"
#include "log.h"
#include "util.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

struct periodic {
	const char *name;
	struct event *timer;
	worker_fn fn;
	void *arg;
	bool queued;		/* a run is queued or running (loop thread only) */
	bool again;		/* kicked while a run was queued: run once more after it */
	_Atomic bool requested;	/* another thread asked for a run (periodic_request) */
};

static void periodic_queue(evutil_socket_t fd, short what, void *arg);

/* Worker: one run of the task. */
static void periodic_run(struct db *db, void *arg)
{
	struct periodic *p = arg;
	p->fn(db, p->arg);
}

/* Loop: a run is over; another one follows if it was kicked meanwhile. */
static void periodic_done(void *arg, bool ran)
{
	struct periodic *p = arg;
	p->queued = false;
	if (!ran)
		log_warn(p->name, "a run waited too long in the queue and did not run");
	if (p->again) {
		p->again = false;
		periodic_queue(-1, 0, p);
	}
}

/* Loop: queues a run unless one is queued already (then a kick asks for one more after it). */
static void periodic_queue(evutil_socket_t fd, short what, void *arg)
{
	struct periodic *p = arg;
	bool kicked = what == 0 || atomic_exchange(&p->requested, false);
	if (p->queued) {
		if (kicked)
			p->again = true;
		return;
	}
	if (worker_submit(periodic_run, periodic_done, p))
		p->queued = true;
	else
		log_warn(p->name, "the queue is full; trying again at the next tick");
}

/* Starts the timer and the first run. */
struct periodic *periodic_start(struct event_base *base, const char *name, long long interval_ms,
				worker_fn fn, void *arg)
{
	struct periodic *p = xcalloc(1, sizeof *p);
	p->name = name;
	p->fn = fn;
	p->arg = arg;
	p->timer = event_new(base, -1, EV_PERSIST, periodic_queue, p);
	struct timeval tv = { (time_t)(interval_ms / 1000), (suseconds_t)(interval_ms % 1000) * 1000 };
	if (p->timer == NULL || event_add(p->timer, &tv) != 0) {
		if (p->timer)
			event_free(p->timer);
		free(p);
		return NULL;
	}
	periodic_queue(-1, 0, p);
	return p;
}

/* Runs it again soon. */
void periodic_kick(struct periodic *p)
{
	if (p)
		periodic_queue(-1, 0, p);
}

/* From any thread: makes the timer fire now, as a kick. */
void periodic_request(struct periodic *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->requested, true);
	event_active(p->timer, EV_TIMEOUT, 0);
}

/* Stops and frees it. */
void periodic_stop(struct periodic *p)
{
	if (p == NULL)
		return;
	event_free(p->timer);
	free(p);
}
