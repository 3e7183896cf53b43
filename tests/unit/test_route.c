/* Tests of the routing table: literal paths, parameters, decoding, 404 against 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "util.h"

static void h_a(void) {}
static void h_b(void) {}
static void h_c(void) {}
static void h_d(void) {}

static const struct route table[] = {
	{ "GET", "/healthz", h_a, 0, ROUTE_INLINE },
	{ "GET", "/api/v1/series/{series}/periods/{period}", h_b, 0, 0 },
	{ "PUT", "/api/v1/series/{series}/periods/{period}/submission", h_c, 0, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/submission", h_d, 0, 0 },
	{ NULL, NULL, NULL, 0, 0 },
};

/* One case: method, path, expected handler (NULL: error) and status, parameter values. */
struct rcase {
	const char *method, *path;
	void (*handler)(void);
	int status;
	const char *series, *period;
};

static const struct rcase cases[] = {
	{ "GET", "/healthz", h_a, 0, NULL, NULL },
	{ "HEAD", "/healthz", h_a, 0, NULL, NULL },
	{ "POST", "/healthz", NULL, 405, NULL, NULL },
	{ "GET", "/healthz/", NULL, 404, NULL, NULL },
	{ "GET", "/healthzz", NULL, 404, NULL, NULL },
	{ "GET", "/", NULL, 404, NULL, NULL },
	{ "GET", "/api/v1/series/nq57-weekly/periods/2026-W47", h_b, 0, "nq57-weekly", "2026-W47" },
	{ "GET", "/api/v1/series/nq57-weekly/periods/current", h_b, 0, "nq57-weekly", "current" },
	{ "GET", "/api/v1/series/a%20b/periods/x%2Dy", h_b, 0, "a b", "x-y" },
	{ "GET", "/api/v1/series/a%2Fb/periods/x", NULL, 404, NULL, NULL },
	{ "GET", "/api/v1/series/a%zz/periods/x", NULL, 404, NULL, NULL },
	{ "GET", "/api/v1/series/a%2/periods/x", NULL, 404, NULL, NULL },
	{ "GET", "/api/v1/series//periods/x", NULL, 404, NULL, NULL },
	{ "GET", "/api/v1/series/s/periods/p/extra", NULL, 404, NULL, NULL },
	{ "PUT", "/api/v1/series/s/periods/p/submission", h_c, 0, "s", "p" },
	{ "GET", "/api/v1/series/s/periods/p/submission", h_d, 0, "s", "p" },
	{ "DELETE", "/api/v1/series/s/periods/p/submission", NULL, 405, NULL, NULL },
	{ "PUT", "/api/v1/series/s/periods/p", NULL, 405, NULL, NULL },
};

static void test_table(void **state)
{
	for (size_t i = 0; i < nitems(cases); i++) {
		const struct rcase *c = &cases[i];
		struct route_params params;
		int status = 0;
		const struct route *r = route_match(table, c->method, c->path, &params, &status);
		if (c->handler == NULL) {
			if (r != NULL || status != c->status)
				fail_msg("case %zu %s %s: expected status %d, got %s %d", i, c->method,
					 c->path, c->status, r ? "a route" : "no route", status);
			continue;
		}
		if (r == NULL || r->handler != c->handler)
			fail_msg("case %zu %s %s: wrong route", i, c->method, c->path);
		const char *s = route_param(&params, "series");
		const char *p = route_param(&params, "period");
		if (c->series)
			assert_string_equal(s, c->series);
		else
			assert_null(s);
		if (c->period)
			assert_string_equal(p, c->period);
		else
			assert_null(p);
		assert_null(route_param(&params, "nothing"));
		route_params_free(&params);
	}
}

static void test_decode_segment(void **state)
{
	char *s = route_decode_segment("Th%C3%A1ng%2011", 15);
	assert_string_equal(s, "Tháng 11");
	free(s);
	assert_null(route_decode_segment("%00", 3));
	assert_null(route_decode_segment("abc%", 4));
	assert_null(route_decode_segment("%4", 2));
	s = route_decode_segment("abc", 2);
	assert_string_equal(s, "ab");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_decode_segment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
