/* The worker thread pools (the main one and the login one) and the hand-off of jobs between
 * them and the event loop. */
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

struct pool;

struct worker {
	pthread_t thread;
	struct db *db;
	struct pool *pool;
	int index;
	bool started;
};

/* One pool: its threads, its bounded queue and its hand-off event. */
struct pool {
	const char *name;	/* for the log: "worker", "login worker" */
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
};

/* Requests and periodic work. */
static struct pool main_pool = {
	.name = "worker",
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.queue_max = 256,
	.max_wait_ms = 30000,
};

/* Password work (Argon2id): logins and password changes, apart so that they never hold the
 * threads that serve uploads. */
static struct pool login_pool = {
	.name = "login worker",
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.queue_max = 32,
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

/* Loop thread: runs the done callbacks of a pool's finished jobs. */
static void worker_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct pool *pool = arg;
	struct job_list batch;
	pthread_mutex_lock(&pool->lock);
	batch = pool->done;
	memset(&pool->done, 0, sizeof pool->done);
	pthread_mutex_unlock(&pool->lock);

	struct job *j;
	while ((j = list_pop(&batch)) != NULL) {
		pool->in_flight--;
		j->done(j->arg, j->ran);
		free(j);
	}
}

/* Worker thread: takes jobs of its pool until told to stop and the queue is empty. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *pool = w->pool;
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (pool->queue.len == 0 && !pool->stopping)
			pthread_cond_wait(&pool->wake, &pool->lock);
		struct job *j = list_pop(&pool->queue);
		long long max_wait = pool->max_wait_ms;
		pthread_mutex_unlock(&pool->lock);
		if (j == NULL)
			break;	/* stopping and nothing left */

		long long waited = clock_mono_ms() - j->queued_at;
		if (max_wait > 0 && waited > max_wait) {
			log_warn("worker", "%s %d: job expired after waiting %lld ms", pool->name,
				 w->index, waited);
			j->ran = false;
		} else {
			j->fn(w->db, j->arg);
			j->ran = true;
		}
		pthread_mutex_lock(&pool->lock);
		list_push(&pool->done, j);
		pthread_mutex_unlock(&pool->lock);
		event_active(pool->done_ev, EV_READ, 0);
	}
	return NULL;
}

/* Starts a pool's threads, each with its own database holder. */
static int pool_start(struct pool *pool, struct event_base *base, int n, const char *conninfo,
		      const char *time_zone)
{
	pool->done_ev = event_new(base, -1, EV_PERSIST, worker_on_done, pool);
	if (pool->done_ev == NULL) {
		log_error("worker", "%s: cannot create the hand-off event", pool->name);
		return -1;
	}
	pool->workers = xcalloc((size_t)n, sizeof *pool->workers);
	pool->nworkers = n;
	for (int i = 0; i < n; i++) {
		struct worker *w = &pool->workers[i];
		w->index = i;
		w->pool = pool;
		w->db = db_new(conninfo, time_zone);
		int rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc != 0) {
			log_error("worker", "cannot start %s %d: %s", pool->name, i, strerror(rc));
			return -1;
		}
		w->started = true;
	}
	return 0;
}

/* Sets a pool's queue bound and the longest wait before a queued job is dropped. */
static void pool_set_limits(struct pool *pool, size_t queue_max, long long max_wait_ms)
{
	pthread_mutex_lock(&pool->lock);
	pool->queue_max = queue_max;
	pool->max_wait_ms = max_wait_ms;
	pthread_mutex_unlock(&pool->lock);
}

/* Queues a job in a pool. */
static bool pool_submit(struct pool *pool, worker_fn fn, worker_done_fn done, void *arg)
{
	pthread_mutex_lock(&pool->lock);
	if (pool->stopping || pool->nworkers == 0 || pool->queue.len >= pool->queue_max) {
		pthread_mutex_unlock(&pool->lock);
		return false;
	}
	struct job *j = xcalloc(1, sizeof *j);
	j->fn = fn;
	j->done = done;
	j->arg = arg;
	j->queued_at = clock_mono_ms();
	list_push(&pool->queue, j);
	pool->in_flight++;
	pthread_cond_signal(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	return true;
}

/* Tells a pool's threads to stop after the queue drains; joins them if wait is true. */
static void pool_stop(struct pool *pool, bool wait)
{
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	if (!wait)
		return;
	for (int i = 0; i < pool->nworkers; i++) {
		struct worker *w = &pool->workers[i];
		if (w->started) {
			int rc = pthread_join(w->thread, NULL);
			if (rc != 0)
				log_error("worker", "cannot join %s %d: %s", pool->name, i,
					  strerror(rc));
		}
		db_free(w->db);
	}
	free(pool->workers);
	pool->workers = NULL;
	pool->nworkers = 0;
	/* Jobs that finished after the loop stopped still get their callbacks, which free them. */
	worker_on_done(-1, 0, pool);
	if (pool->done_ev) {
		event_free(pool->done_ev);
		pool->done_ev = NULL;
	}
}

/* Starts the main pool. */
int worker_pool_start(struct event_base *base, int n, const char *conninfo,
		      const char *time_zone)
{
	return pool_start(&main_pool, base, n, conninfo, time_zone);
}

/* Sets the main pool's queue bound and the longest wait of a queued job. */
void worker_set_limits(size_t queue_max, long long max_wait_ms)
{
	pool_set_limits(&main_pool, queue_max, max_wait_ms);
}

/* Queues a job for the main pool. */
bool worker_submit(worker_fn fn, worker_done_fn done, void *arg)
{
	return pool_submit(&main_pool, fn, done, arg);
}

/* Starts the login pool. */
int worker_login_start(struct event_base *base, int n, const char *conninfo,
		       const char *time_zone)
{
	return pool_start(&login_pool, base, n, conninfo, time_zone);
}

/* Sets the login pool's queue bound and the longest wait of a queued job. */
void worker_login_set_limits(size_t queue_max, long long max_wait_ms)
{
	pool_set_limits(&login_pool, queue_max, max_wait_ms);
}

/* Queues a job for the login pool. */
bool worker_login_submit(worker_fn fn, worker_done_fn done, void *arg)
{
	return pool_submit(&login_pool, fn, done, arg);
}

/* Jobs of both pools whose done callback has not run yet. */
size_t worker_in_flight(void)
{
	return main_pool.in_flight + login_pool.in_flight;
}

/* Jobs waiting for a worker of a pool (any thread: read under the pool's lock). */
static size_t pool_queued(struct pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	size_t n = pool->queue.len;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

/* Jobs waiting for a worker: of the main pool, or of the login pool. */
size_t worker_queued(bool login)
{
	return pool_queued(login ? &login_pool : &main_pool);
}

/* Stops both pools after their queues drain. */
void worker_pool_stop(bool wait)
{
	pool_stop(&login_pool, wait);
	pool_stop(&main_pool, wait);
}
