/* The scheduler: each occurrence of a job is a job_run row planned from the series and their
 * periods, claimed under a lease when due and run once across the daemons of one database. */
#ifndef BAOCAO_SCHEDULER_H
#define BAOCAO_SCHEDULER_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

/* One claimed occurrence, as a job kind's run function sees it. */
struct scheduler_run;

/* Loop thread: arms the timer and starts the runner (its first run is at once); instance
 * ("host:pid") names this daemon's leases. Returns 0 or -1. */
int scheduler_start(struct event_base *base, const char *instance);
/* Any thread: asks for a run of the due occurrences soon, and the timer to be armed again
 * from the database (after planning, or after the clock moved). */
void scheduler_request(void);
/* Loop thread: stops the timer and the runner. */
void scheduler_stop(void);

/*
 * Worker: marks runs whose lease ran out as interrupted, checks this daemon's clock against
 * PostgreSQL's, and inserts (or moves, while still due) the occurrences of every job for the
 * current and the next period of every dated series. Returns 0, or -1 with *err.
 */
int scheduler_plan(PGconn *conn, time_t now, char **err);

/* For a run that works long: extends its lease when more than half of it has passed. Returns
 * 0, or -1 with *err when the lease was lost (another daemon took the run over: stop). */
int scheduler_lease_keep(PGconn *conn, struct scheduler_run *run, char **err);

#endif
