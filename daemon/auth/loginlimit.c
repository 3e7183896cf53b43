/* Failed logins counted in PostgreSQL per client address and per login name and address. */
#include "loginlimit.h"
#include "db.h"
#include "metrics.h"
#include "netaddr.h"
#include "util.h"

#include <stdbool.h>
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

/* Keeps at most LOGINLIMIT_NAMES_PER_ADDRESS login-name rows of an address: the oldest go. */
static int bound_names(PGconn *conn, const struct loginlimit_keys *k, char **err)
{
	char keep[16];
	snprintf(keep, sizeof keep, "%d", LOGINLIMIT_NAMES_PER_ADDRESS);
	const char *p[] = { k->address, keep };
	/* The address is what follows a pair key's last blank (index login_failure_pair_address;
	 * an address key holds no blank). */
	PGresult *r = db_run(conn, "login limit",
		"DELETE FROM login_failure WHERE scope = 'login' AND key IN ("
		"  SELECT key FROM login_failure WHERE scope = 'login' "
		"    AND substring(key FROM ' ([^ ]*)$') = $1 "
		"  ORDER BY window_start DESC, key OFFSET $2::int)", 2, p, err);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* Whether a statement's RETURNING (xmax = 0) says it inserted a new row. */
static bool inserted(PGresult *r)
{
	return PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
}

/* Notes that this login from this address may try at `until`, its turn after its address's
 * wait; a new row keeps the address within its bound of names. */
static int note_turn(PGconn *conn, const struct loginlimit_keys *k, time_t now, long long until,
		     char **err)
{
	char nowbuf[24], untilbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(untilbuf, sizeof untilbuf, "%lld", until);
	const char *p[] = { k->pair, nowbuf, untilbuf };
	PGresult *r = db_run(conn, "login limit",
		"INSERT INTO login_failure AS f (scope, key, failures, window_start, blocked_until) "
		"VALUES ('login', $1, 0, to_timestamp($2::bigint), to_timestamp($3::bigint)) "
		"ON CONFLICT (scope, key) DO UPDATE SET blocked_until = EXCLUDED.blocked_until "
		"RETURNING (xmax = 0)", 3, p, err);
	if (r == NULL)
		return -1;
	bool is_new = inserted(r);
	PQclear(r);
	return is_new ? bound_names(conn, k, err) : 0;
}

/* Whether the attempt waits: for its own failures, or for its address's unless it has
 * waited its turn. */
int loginlimit_check(PGconn *conn, const struct loginlimit_keys *k, time_t now, long long *wait_s,
		     char **err)
{
	const char *p[] = { k->address, k->pair };
	PGresult *r = db_run(conn, "login limit",
		"SELECT scope, extract(epoch FROM blocked_until)::bigint FROM login_failure "
		"WHERE ((scope = 'address' AND key = $1) OR (scope = 'login' AND key = $2)) "
		"  AND blocked_until IS NOT NULL", 2, p, err);
	if (r == NULL)
		return -1;
	long long pair_until = 0, address_until = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		long long t = atoll(PQgetvalue(r, i, 1));
		if (strcmp(PQgetvalue(r, i, 0), "address") == 0)
			address_until = t;
		else
			pair_until = t;
	}
	PQclear(r);
	*wait_s = 0;
	if (pair_until > now)			/* its own wait, or its turn to come */
		*wait_s = pair_until - now;
	else if (address_until <= now)		/* the address is not waiting */
		return 0;
	else if (pair_until > 0 && pair_until > now - LOGINLIMIT_TURN_S)
		return 0;			/* it has waited its turn */
	else {
		if (address_until > now + LOGINLIMIT_MAX_WAIT_S)	/* a row from before the cap */
			address_until = now + LOGINLIMIT_MAX_WAIT_S;
		if (note_turn(conn, k, now, address_until, err) != 0)
			return -1;
		*wait_s = address_until - now;
	}
	if (*wait_s > LOGINLIMIT_MAX_WAIT_S)	/* a row from before the cap */
		*wait_s = LOGINLIMIT_MAX_WAIT_S;
	if (*wait_s > 0)
		metrics_count(MC_LOGIN_THROTTLED);
	return 0;
}

/* Counts one failure in one counter; from the free_n-th failure on, each one makes the next
 * attempt wait twice as long as the one before (5 s, 10 s, 20 s ...), up to
 * LOGINLIMIT_MAX_WAIT_S. A login name's failure before that uses up its turn. */
static int count_failure(PGconn *conn, const char *scope, const char *key, time_t now, int free_n,
			 bool *is_new, char **err)
{
	char nowbuf[24], window[16], freebuf[16], maxbuf[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(window, sizeof window, "%d", LOGINLIMIT_WINDOW_S);
	snprintf(freebuf, sizeof freebuf, "%d", free_n);
	snprintf(maxbuf, sizeof maxbuf, "%d", LOGINLIMIT_MAX_WAIT_S);
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
		"    WHEN f.scope = 'login' THEN NULL ELSE f.blocked_until END "
		"RETURNING (xmax = 0)", 6, p, err);
#undef N_AFTER
#undef WAIT
	if (r == NULL)
		return -1;
	*is_new = inserted(r);
	PQclear(r);
	return 0;
}

/* Counts a failed attempt. */
int loginlimit_failed(PGconn *conn, const struct loginlimit_keys *k, time_t now, char **err)
{
	bool is_new;
	metrics_count(MC_LOGIN_FAILED);
	if (count_failure(conn, "login", k->pair, now, LOGINLIMIT_PAIR_FREE, &is_new, err) != 0)
		return -1;
	if (is_new && bound_names(conn, k, err) != 0)
		return -1;
	return count_failure(conn, "address", k->address, now, LOGINLIMIT_ADDRESS_FREE, &is_new,
			     err);
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
