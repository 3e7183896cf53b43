/* The worker thread pools and the hand-off of jobs between them and the event loop: the main
 * pool (requests, periodic work) and the login pool (password work, Argon2id). */
#ifndef BAOCAO_WORKER_H
#define BAOCAO_WORKER_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

struct db;

/* Runs on a worker thread with that worker's database holder. */
typedef void (*worker_fn)(struct db *db, void *arg);
/* Runs on the loop thread once the job is over; ran is false if the job expired unrun. */
typedef void (*worker_done_fn)(void *arg, bool ran);

/* Starts n main workers, each with its own database holder. Returns 0 or -1. */
int worker_pool_start(struct event_base *base, int n, const char *conninfo,
		      const char *time_zone);
/* Sets the most jobs that may wait (reloadable). */
void worker_set_limits(size_t queue_max, long long max_wait_ms);
/* Queues a job; false if the queue is full or the pool is stopping (the caller answers 503). */
bool worker_submit(worker_fn fn, worker_done_fn done, void *arg);

/* Starts n login workers (password work), each with its own database holder; 0 or -1. */
int worker_login_start(struct event_base *base, int n, const char *conninfo,
		       const char *time_zone);
/* Sets the most password jobs that may wait (reloadable). */
void worker_login_set_limits(size_t queue_max, long long max_wait_ms);
/* Queues a password job; false if its queue is full or the pool is stopping. */
bool worker_login_submit(worker_fn fn, worker_done_fn done, void *arg);

/* Jobs of both pools queued or running whose done callback has not yet run. */
size_t worker_in_flight(void);
/* Jobs waiting for a worker (any thread): of the main pool, or of the login pool (login). */
size_t worker_queued(bool login);
/* Tells the workers of both pools to exit once the queues are empty; joins them if wait. */
void worker_pool_stop(bool wait);

#endif
