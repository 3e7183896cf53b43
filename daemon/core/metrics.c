/* Numbers for monitoring: process-wide counters kept as C11 atomics (a relaxed add on the
 * request's path, no lock). */
#include "metrics.h"
#include "util.h"

#include <stdatomic.h>
#include <string.h>

static atomic_ullong counters[MC_COUNT];
static atomic_llong connections;

/* The intake's refusal codes (api_submission.c), then "other". */
const char *const metrics_upload_reasons[] = {
	"period_skipped", "period_not_open", "unsupported_media_type", "body_too_large",
	"empty_body", "too_many_uploads", "unknown_unit", "not_a_member", "validation_failed",
	"too_many_versions", "period_storage_full", "other",
};
const size_t metrics_upload_nreasons = nitems(metrics_upload_reasons);
static atomic_ullong uploads_refused[nitems(metrics_upload_reasons)];

const double metrics_duration_bounds[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};
const size_t metrics_duration_nbounds = nitems(metrics_duration_bounds);
static atomic_ullong duration_buckets[nitems(metrics_duration_bounds) + 1];
static atomic_ullong duration_usec;
static atomic_ullong requests[METRICS_ROUTES_MAX][METRICS_CLASSES];

/* Adds one to a counter. */
void metrics_count(enum metrics_counter c)
{
	if (c >= 0 && c < MC_COUNT)
		atomic_fetch_add_explicit(&counters[c], 1, memory_order_relaxed);
}

/* A counter's value. */
unsigned long long metrics_counter_value(enum metrics_counter c)
{
	return c >= 0 && c < MC_COUNT ? atomic_load_explicit(&counters[c], memory_order_relaxed)
				      : 0;
}

/* Sets the number of open client connections. */
void metrics_set_connections(long long n)
{
	atomic_store_explicit(&connections, n, memory_order_relaxed);
}

/* The number of open client connections. */
long long metrics_connections(void)
{
	return atomic_load_explicit(&connections, memory_order_relaxed);
}

/* Counts a refused upload under its code (or "other"). */
void metrics_upload_refused(const char *code)
{
	size_t i = 0;
	while (i + 1 < metrics_upload_nreasons &&
	       (code == NULL || strcmp(code, metrics_upload_reasons[i]) != 0))
		i++;
	atomic_fetch_add_explicit(&uploads_refused[i], 1, memory_order_relaxed);
}

/* Refused uploads of one reason. */
unsigned long long metrics_upload_refused_value(size_t reason)
{
	return reason < metrics_upload_nreasons ?
	       atomic_load_explicit(&uploads_refused[reason], memory_order_relaxed) : 0;
}

/* Counts one answered request. */
void metrics_http_request(int route, int status, long long usec)
{
	if (route < 0 || route >= METRICS_ROUTES_MAX)
		route = METRICS_ROUTE_NONE;
	int klass = status / 100 - 1;
	if (klass < 0 || klass >= METRICS_CLASSES)
		klass = METRICS_CLASSES - 1;
	atomic_fetch_add_explicit(&requests[route][klass], 1, memory_order_relaxed);
	if (usec < 0)
		usec = 0;
	double s = (double)usec / 1e6;
	size_t b = 0;
	while (b < metrics_duration_nbounds && s > metrics_duration_bounds[b])
		b++;
	atomic_fetch_add_explicit(&duration_buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&duration_usec, (unsigned long long)usec, memory_order_relaxed);
}

/* Requests of a route and status class. */
unsigned long long metrics_http_requests(int route, int klass)
{
	if (route < 0 || route >= METRICS_ROUTES_MAX || klass < 0 || klass >= METRICS_CLASSES)
		return 0;
	return atomic_load_explicit(&requests[route][klass], memory_order_relaxed);
}

/* The duration histogram's per-bucket counts and sum. */
void metrics_http_durations(unsigned long long *counts, double *sum)
{
	for (size_t b = 0; b <= metrics_duration_nbounds; b++)
		counts[b] = atomic_load_explicit(&duration_buckets[b], memory_order_relaxed);
	*sum = (double)atomic_load_explicit(&duration_usec, memory_order_relaxed) / 1e6;
}
