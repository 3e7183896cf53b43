/* Numbers for monitoring: process-wide counters (C11 atomics, cheap from any thread), written
 * out by GET /metrics (prom.h). */
#ifndef BAOCAO_METRICS_H
#define BAOCAO_METRICS_H

#include <stddef.h>

/* Plain counters; their names and help are in metrics.c's table. */
enum metrics_counter {
	MC_DB_RECONNECTS,		/* database connections made again after a failure */
	MC_LOGIN_THROTTLED,		/* login attempts refused by the login limit */
	MC_LOGIN_FAILED,		/* wrong login name or password */
	MC_CONN_REFUSED_ADDRESS,	/* connections refused: max_connections_per_address */
	MC_CONN_REFUSED_OVERALL,	/* connections answered 503: max_connections */
	MC_CONN_SLOW_HEAD,		/* connections closed: head slower than head_timeout */
	MC_CONN_SLOW_BODY,		/* connections closed: body slower than min_body_rate */
	MC_OUTBOX_SENT,			/* outbox attempts that sent the message */
	MC_OUTBOX_DEFERRED,		/* outbox attempts to be tried again */
	MC_OUTBOX_FAILED,		/* outbox attempts that failed for good */
	MC_UPLOADS_ACCEPTED,		/* reports stored (a new version or the same file again) */
	MC_COUNT
};

/* Adds one to a counter. */
void metrics_count(enum metrics_counter c);
/* A counter's value. */
unsigned long long metrics_counter_value(enum metrics_counter c);

/* The open client connections (the guard sets it; the scrape reads it). */
void metrics_set_connections(long long n);
long long metrics_connections(void);

/* The reasons an upload is refused: the intake's error codes, a fixed set; a code not among
 * them counts as "other". */
extern const char *const metrics_upload_reasons[];
extern const size_t metrics_upload_nreasons;
/* Counts an upload refused with an error code ("period_not_open", "invalid_report", ...). */
void metrics_upload_refused(const char *code);
unsigned long long metrics_upload_refused_value(size_t reason);

/* Routes followed (indexes of the route table); a request matching none counts in the last. */
#define METRICS_ROUTES_MAX 96
#define METRICS_ROUTE_NONE (METRICS_ROUTES_MAX - 1)
/* Status classes 1xx..5xx. */
#define METRICS_CLASSES 5
/* Upper bounds (seconds) of the request-duration histogram; +Inf follows. */
extern const double metrics_duration_bounds[];
extern const size_t metrics_duration_nbounds;

/* Counts one answered request: its route's index (METRICS_ROUTE_NONE: no route), its status
 * and how long it took in microseconds. */
void metrics_http_request(int route, int status, long long usec);
/* Requests of a route and status class (0: 1xx ... 4: 5xx). */
unsigned long long metrics_http_requests(int route, int klass);
/* The duration histogram: per-bucket (not cumulative) counts into counts[nbounds + 1], and
 * the sum in seconds. */
void metrics_http_durations(unsigned long long *counts, double *sum);

#endif
