/* Tests of address ranges: which lists are valid, which addresses they hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>

#include "netaddr.h"
#include "util.h"

/* One case: a list, an address, whether the address is in the list. */
struct mcase {
	const char *list, *addr;
	bool in;
};

static const struct mcase matches[] = {
	{ "127.0.0.1/32 ::1/128", "127.0.0.1", true },
	{ "127.0.0.1/32 ::1/128", "127.0.0.2", false },
	{ "127.0.0.1/32 ::1/128", "::1", true },
	{ "127.0.0.1/32 ::1/128", "::2", false },
	{ "127.0.0.1/32 ::1/128", "::ffff:127.0.0.1", true },	/* a dual-stack socket's IPv4 */
	{ "127.0.0.1", "127.0.0.1", true },			/* an address alone */
	{ "127.0.0.0/8", "127.255.0.9", true },
	{ "10.0.0.0/8,192.168.1.0/24", "192.168.1.200", true },
	{ "10.0.0.0/8,192.168.1.0/24", "192.168.2.1", false },
	{ "203.0.113.0/25", "203.0.113.127", true },
	{ "203.0.113.0/25", "203.0.113.128", false },
	{ "203.0.113.5/0", "8.8.8.8", true },
	{ "203.0.113.5/0", "2001:db8::1", false },		/* families never mix */
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "2001:db8:0:1::/64", "2001:db8:0:1:aaaa::1", true },
	{ "2001:db8:0:1::/63", "2001:db8:0:1::5", true },
	{ "2001:db8:0:2::/63", "2001:db8:0:4::5", false },
	{ "::ffff:10.0.0.0/104", "10.1.2.3", true },		/* a mapped range counts as IPv4 */
	{ "::ffff:10.0.0.0/104", "11.1.2.3", false },
	{ "", "127.0.0.1", false },
	{ "127.0.0.1/32", "", false },
	{ "127.0.0.1/32", "localhost", false },
	{ "127.0.0.1/32", "127.0.0.1/32", false },
	{ "127.0.0.1/32", "-", false },
};

/* Lists, and whether each is valid. */
static const struct { const char *list; bool valid; } lists[] = {
	{ "", true },
	{ "  ", true },
	{ "127.0.0.1/32 ::1/128", true },
	{ "127.0.0.1, ::1", true },
	{ "0.0.0.0/0 ::/0", true },
	{ "127.0.0.1/33", false },
	{ "::1/129", false },
	{ "127.0.0.1/", false },
	{ "127.0.0.1/-1", false },
	{ "127.0.0.1/8x", false },
	{ "127.0.0/24", false },
	{ "localhost", false },
	{ "127.0.0.1 nonsense", false },
	{ "::ffff:10.0.0.0/95", false },
	{ "2001:db8::/32/4", false },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999/64", false },
};

static void test_matches(void **state)
{
	(void)state;	/* no fixture */
	for (size_t i = 0; i < nitems(matches); i++) {
		const struct mcase *c = &matches[i];
		if (netaddr_list_match(c->list, c->addr) != c->in)
			fail_msg("\"%s\" in \"%s\": expected %s", c->addr, c->list,
				 c->in ? "yes" : "no");
	}
}

static void test_lists(void **state)
{
	(void)state;	/* no fixture */
	for (size_t i = 0; i < nitems(lists); i++)
		if (netaddr_list_valid(lists[i].list) != lists[i].valid)
			fail_msg("\"%s\": expected %s", lists[i].list,
				 lists[i].valid ? "valid" : "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
