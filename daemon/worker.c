/* The worker thread pool and the hand-off of jobs between it and the event loop. */
#include "worker.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct job {
	worker_fn fn;
	worker_done_fn done;
	void *arg;
	long long queued_at;	/* monotonic ms */
	bool ran;
	struct job *next;
};

struct job_list {
	struct job *head, *tail;
	size_t len;
};

struct worker {
	pthread_t thread;
	struct db *db;
	int index;
	bool started;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job_list queue;	/* waiting for a worker */
	struct job_list done;	/* finished, waiting for the loop */
	size_t in_flight;	/* loop-thread count: submitted, done callback not yet run */
	size_t queue_max;
	long long max_wait_ms;
	bool stopping;
	struct worker *workers;
	int nworkers;
	struct event *done_ev;
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.queue_max = 256,
	.max_wait_ms = 30000,
};

/* Appends a job to a list. */
static void list_push(struct job_list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->len++;
}

/* Removes and returns the first job of a list, or NULL. */
static struct job *list_pop(struct job_list *l)
{
	struct job *j = l->head;
	if (j) {
		l->head = j->next;
		if (l->head == NULL)
			l->tail = NULL;
		l->len--;
	}
	return j;
}

/* Loop thread: runs the done callbacks of finished jobs. */
static void worker_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct job_list batch;
	pthread_mutex_lock(&pool.lock);
	batch = pool.done;
	memset(&pool.done, 0, sizeof pool.done);
	pthread_mutex_unlock(&pool.lock);

	struct job *j;
	while ((j = list_pop(&batch)) != NULL) {
		pool.in_flight--;
		j->done(j->arg, j->ran);
		free(j);
	}
}

/* Worker thread: takes jobs until told to stop and the queue is empty. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		pthread_mutex_lock(&pool.lock);
		while (pool.queue.len == 0 && !pool.stopping)
			pthread_cond_wait(&pool.wake, &pool.lock);
		struct job *j = list_pop(&pool.queue);
		long long max_wait = pool.max_wait_ms;
		pthread_mutex_unlock(&pool.lock);
		if (j == NULL)
			break;	/* stopping and nothing left */

		long long waited = clock_mono_ms() - j->queued_at;
		if (max_wait > 0 && waited > max_wait) {
			log_warn("worker", "worker %d: job expired after waiting %lld ms", w->index,
				 waited);
			j->ran = false;
		} else {
			j->fn(w->db, j->arg);
			j->ran = true;
		}
		pthread_mutex_lock(&pool.lock);
		list_push(&pool.done, j);
		pthread_mutex_unlock(&pool.lock);
		event_active(pool.done_ev, EV_READ, 0);
	}
	return NULL;
}

/* Starts the pool. */
int worker_pool_start(struct event_base *base, int n, const char *conninfo,
		      const char *time_zone)
{
	pool.done_ev = event_new(base, -1, EV_PERSIST, worker_on_done, NULL);
	if (pool.done_ev == NULL) {
		log_error("worker", "cannot create the hand-off event");
		return -1;
	}
	pool.workers = xcalloc((size_t)n, sizeof *pool.workers);
	pool.nworkers = n;
	for (int i = 0; i < n; i++) {
		struct worker *w = &pool.workers[i];
		w->index = i;
		w->db = db_new(conninfo, time_zone);
		int rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc != 0) {
			log_error("worker", "cannot start worker %d: %s", i, strerror(rc));
			return -1;
		}
		w->started = true;
	}
	return 0;
}

/* Sets the queue bound and the longest wait before a queued job is dropped. */
void worker_set_limits(size_t queue_max, long long max_wait_ms)
{
	pthread_mutex_lock(&pool.lock);
	pool.queue_max = queue_max;
	pool.max_wait_ms = max_wait_ms;
	pthread_mutex_unlock(&pool.lock);
}

/* Queues a job for the workers. */
bool worker_submit(worker_fn fn, worker_done_fn done, void *arg)
{
	pthread_mutex_lock(&pool.lock);
	if (pool.stopping || pool.queue.len >= pool.queue_max) {
		pthread_mutex_unlock(&pool.lock);
		return false;
	}
	struct job *j = xcalloc(1, sizeof *j);
	j->fn = fn;
	j->done = done;
	j->arg = arg;
	j->queued_at = clock_mono_ms();
	list_push(&pool.queue, j);
	pool.in_flight++;
	pthread_cond_signal(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	return true;
}

/* Jobs whose done callback has not run yet. */
size_t worker_in_flight(void)
{
	return pool.in_flight;
}

/* Stops the workers after the queue drains. */
void worker_pool_stop(bool wait)
{
	pthread_mutex_lock(&pool.lock);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	if (!wait)
		return;
	for (int i = 0; i < pool.nworkers; i++) {
		struct worker *w = &pool.workers[i];
		if (w->started) {
			int rc = pthread_join(w->thread, NULL);
			if (rc != 0)
				log_error("worker", "cannot join worker %d: %s", i, strerror(rc));
		}
		db_free(w->db);
	}
	free(pool.workers);
	pool.workers = NULL;
	pool.nworkers = 0;
	/* Jobs that finished after the loop stopped still get their callbacks, which free them. */
	worker_on_done(-1, 0, NULL);
	if (pool.done_ev) {
		event_free(pool.done_ev);
		pool.done_ev = NULL;
	}
}
