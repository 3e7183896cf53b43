/* Failed logins counted in PostgreSQL per client address and per login name and address. */
#include "loginlimit.h"
#include "db.h"
#include "netaddr.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof ((struct loginlimit_keys *)0)->address == NETADDR_KEY_MAX,
	       "an address key fits its counter's key");

/* Makes the keys of an attempt. */
void loginlimit_keys(const char *login, const char *address, struct loginlimit_keys *out)
{
	netaddr_key(address ? address : "-", out->address);
	snprintf(out->pair, sizeof out->pair, "%.64s %s", login, out->address);
}

/* Whether either counter asks the caller to wait. */
int loginlimit_check(PGconn *conn, const struct loginlimit_keys *k, time_t now, long long *wait_s,
		     char **err)
{
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *p[] = { k->address, k->pair, nowbuf };
	PGresult *r = db_run(conn, "login limit",
		"SELECT ceil(extract(epoch FROM max(blocked_until) - to_timestamp($3::bigint)))::bigint "
		"FROM login_failure WHERE ((scope = 'address' AND key = $1) OR "
		"  (scope = 'login' AND key = $2)) AND blocked_until > to_timestamp($3::bigint)",
		3, p, err);
	if (r == NULL)
		return -1;
	*wait_s = PQgetisnull(r, 0, 0) ? 0 : atoll(PQgetvalue(r, 0, 0));
	if (*wait_s < 0)
		*wait_s = 0;
	PQclear(r);
	return 0;
}

/* Counts one failure in one counter; from the free_n-th failure on, each one makes the next
 * attempt wait twice as long as the one before (5 s, 10 s, 20 s ...), up to max_wait. */
static int count_failure(PGconn *conn, const char *scope, const char *key, time_t now, int free_n,
			 int max_wait, char **err)
{
	char nowbuf[24], window[16], freebuf[16], maxbuf[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(window, sizeof window, "%d", LOGINLIMIT_WINDOW_S);
	snprintf(freebuf, sizeof freebuf, "%d", free_n);
	snprintf(maxbuf, sizeof maxbuf, "%d", max_wait);
	const char *p[] = { scope, key, nowbuf, window, freebuf, maxbuf };
	/* n is the count after this failure; the wait starts at the free_n-th one. */
#define N_AFTER "(CASE WHEN f.window_start < to_timestamp($3::bigint) - " \
		"make_interval(secs => $4::int) THEN 1 ELSE f.failures + 1 END)"
#define WAIT(n) "to_timestamp($3::bigint) + make_interval(secs => " \
		"least(" LOGINLIMIT_FIRST_WAIT " * power(2, least(" n " - $5::int, 20)), $6::int))"
	PGresult *r = db_run(conn, "login limit",
		"INSERT INTO login_failure AS f (scope, key, failures, window_start, blocked_until) "
		"VALUES ($1, $2, 1, to_timestamp($3::bigint), "
		"  CASE WHEN 1 >= $5::int THEN " WAIT("1") " END) "
		"ON CONFLICT (scope, key) DO UPDATE SET "
		"  failures = " N_AFTER ", "
		"  window_start = CASE WHEN f.window_start < to_timestamp($3::bigint) - "
		"    make_interval(secs => $4::int) THEN to_timestamp($3::bigint) "
		"    ELSE f.window_start END, "
		"  blocked_until = CASE WHEN " N_AFTER " >= $5::int THEN " WAIT(N_AFTER) " "
		"    ELSE f.blocked_until END", 6, p, err);
#undef N_AFTER
#undef WAIT
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* Counts a failed attempt. */
int loginlimit_failed(PGconn *conn, const struct loginlimit_keys *k, time_t now, char **err)
{
	if (count_failure(conn, "login", k->pair, now, LOGINLIMIT_PAIR_FREE,
			  LOGINLIMIT_PAIR_MAX_WAIT_S, err) != 0)
		return -1;
	return count_failure(conn, "address", k->address, now, LOGINLIMIT_ADDRESS_FREE,
			     LOGINLIMIT_ADDRESS_MAX_WAIT_S, err);
}

/* Clears the login's counter at this address. */
int loginlimit_succeeded(PGconn *conn, const struct loginlimit_keys *k, char **err)
{
	const char *p[] = { k->pair };
	PGresult *r = db_run(conn, "login limit",
		"DELETE FROM login_failure WHERE scope = 'login' AND key = $1", 1, p, err);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}
