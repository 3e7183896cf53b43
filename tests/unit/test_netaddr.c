/* Tests of client address keys (IPv4, IPv4 mapped into IPv6, IPv6 by /64) and address lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netaddr.h"

/* One case: an address and the key it is counted under. */
struct kcase {
	const char *address, *key;
};

static const struct kcase keys[] = {
	{ "203.0.113.9", "203.0.113.9" },
	{ "::ffff:203.0.113.9", "203.0.113.9" },
	{ "::FFFF:203.0.113.9", "203.0.113.9" },
	{ "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64" },
	{ "2001:db8:1:2::1", "2001:db8:1:2::/64" },
	{ "2001:db8:1:3::1", "2001:db8:1:3::/64" },
	{ "::1", "::/64" },
	{ "-", "-" },
	{ "not:an:address", "not:an:address" },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" },
};

/* Every address gives its key; two addresses of one /64 share it. */
static void test_keys(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char out[NETADDR_KEY_MAX];
		netaddr_key(keys[i].address, out);
		if (strcmp(out, keys[i].key) != 0)
			fail_msg("%s: got %s, want %s", keys[i].address, out, keys[i].key);
	}
}

/* An address is listed only as a whole entry of the list. */
static void test_listed(void **state)
{
	(void)state;
	const char *list = "127.0.0.1, ::1 10.0.0.5";
	assert_true(netaddr_listed(list, "127.0.0.1", 9));
	assert_true(netaddr_listed(list, "::1", 3));
	assert_true(netaddr_listed(list, "10.0.0.5", 8));
	assert_false(netaddr_listed(list, "127.0.0.10", 10));
	assert_false(netaddr_listed(list, "127.0.0.", 8));
	assert_false(netaddr_listed(list, "10.0.0.50", 9));
	assert_false(netaddr_listed("", "127.0.0.1", 9));
	assert_false(netaddr_listed(" , ", "", 0));
	/* Ranges, and an IPv4 proxy seen through a dual-stack socket; the length is obeyed. */
	assert_true(netaddr_listed("10.1.0.0/16", "10.1.200.7", 10));
	assert_false(netaddr_listed("10.1.0.0/16", "10.2.0.1", 8));
	assert_true(netaddr_listed("127.0.0.1", "::ffff:127.0.0.1", 16));
	assert_true(netaddr_listed("2001:db8::/32", "2001:db8:1::9 trailing", 13));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_listed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
