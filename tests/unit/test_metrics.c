/* Tests of the Prometheus text writer (escaping, samples, histograms) and of the counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "metrics.h"
#include "prom.h"

/* HELP text escapes backslash and line feed; label values the double quote too. */
static void test_escaping(void **state)
{
	(void)state;
	struct strbuf out = STRBUF_INIT, l = STRBUF_INIT;
	prom_family(&out, "x_total", "counter", "a \\ b\nc \"d\"");
	assert_string_equal(out.data, "# HELP x_total a \\\\ b\\nc \"d\"\n# TYPE x_total counter\n");
	prom_label(&l, "route", "/a\"b\\c\nd");
	prom_label(&l, "class", "2xx");
	assert_string_equal(l.data, "route=\"/a\\\"b\\\\c\\nd\",class=\"2xx\"");
	strbuf_reset(&out);
	prom_sample_u(&out, "x_total", l.data, 42);
	assert_string_equal(out.data, "x_total{route=\"/a\\\"b\\\\c\\nd\",class=\"2xx\"} 42\n");
	strbuf_free(&out);
	strbuf_free(&l);
}

/* Floating values, NaN and the infinities as the format spells them; no braces without
 * labels. */
static void test_values(void **state)
{
	(void)state;
	struct strbuf out = STRBUF_INIT;
	prom_sample(&out, "g", NULL, 0.3);
	prom_sample(&out, "g", "", 1795572000);
	prom_sample(&out, "g", NULL, NAN);
	prom_sample(&out, "g", NULL, INFINITY);
	prom_sample(&out, "g", NULL, -INFINITY);
	assert_string_equal(out.data, "g 0.3\ng 1795572000\ng NaN\ng +Inf\ng -Inf\n");
	strbuf_free(&out);
}

/* Buckets are written cumulative, +Inf equals the count. */
static void test_histogram(void **state)
{
	(void)state;
	struct strbuf out = STRBUF_INIT;
	const double bounds[] = { 0.1, 1 };
	const unsigned long long counts[] = { 2, 1, 3 };
	prom_histogram(&out, "d_seconds", "pool=\"main\"", bounds, 2, counts, 7.5);
	assert_string_equal(out.data,
		"d_seconds_bucket{pool=\"main\",le=\"0.1\"} 2\n"
		"d_seconds_bucket{pool=\"main\",le=\"1\"} 3\n"
		"d_seconds_bucket{pool=\"main\",le=\"+Inf\"} 6\n"
		"d_seconds_sum{pool=\"main\"} 7.5\n"
		"d_seconds_count{pool=\"main\"} 6\n");
	strbuf_free(&out);
}

/* Requests land in their route and class; out-of-range routes and statuses in the last. */
static void test_counters(void **state)
{
	(void)state;
	metrics_http_request(3, 201, 2000);
	metrics_http_request(3, 404, 20000000);
	metrics_http_request(-7, 200, 1);
	metrics_http_request(3, 999, 1);
	assert_int_equal(metrics_http_requests(3, 1), 1);
	assert_int_equal(metrics_http_requests(3, 3), 1);
	assert_int_equal(metrics_http_requests(3, 4), 1);
	assert_int_equal(metrics_http_requests(METRICS_ROUTE_NONE, 1), 1);
	unsigned long long counts[32];
	double sum;
	metrics_http_durations(counts, &sum);
	assert_int_equal(counts[0], 3);				/* <= 5 ms */
	assert_int_equal(counts[metrics_duration_nbounds - 1], 1);	/* 20 s: <= 30 s */
	assert_true(fabs(sum - 20.002002) < 1e-9);
	metrics_upload_refused("empty_body");
	metrics_upload_refused("no_such_code");
	metrics_upload_refused(NULL);
	size_t other = metrics_upload_nreasons - 1;
	assert_string_equal(metrics_upload_reasons[other], "other");
	assert_int_equal(metrics_upload_refused_value(other), 2);
	for (size_t i = 0; i < other; i++)
		assert_int_equal(metrics_upload_refused_value(i),
				 strcmp(metrics_upload_reasons[i], "empty_body") == 0);
	metrics_count(MC_LOGIN_FAILED);
	metrics_count(MC_COUNT);	/* ignored */
	assert_int_equal(metrics_counter_value(MC_LOGIN_FAILED), 1);
	assert_int_equal(metrics_counter_value(MC_COUNT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
