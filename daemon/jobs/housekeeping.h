/* The daemon's own periodic work: following the series in the database, opening their
 * periods, purging old rows and old raw files, watching the space left. */
#ifndef BAOCAO_HOUSEKEEPING_H
#define BAOCAO_HOUSEKEEPING_H

#include <event2/event.h>

/* Runs the work now (on a worker) and then every interval_ms. Returns 0 or -1. */
int housekeeping_start(struct event_base *base, long long interval_ms);
/* Runs the work again soon, reading the series whatever their version (after SIGHUP). */
void housekeeping_kick(void);
/* As housekeeping_kick, from any thread (a worker that moved the test clock). */
void housekeeping_request(void);
void housekeeping_stop(void);

#endif
