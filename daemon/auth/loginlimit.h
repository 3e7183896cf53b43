/* Failed logins counted in PostgreSQL per client address and per login name and address. */
#ifndef BAOCAO_LOGINLIMIT_H
#define BAOCAO_LOGINLIMIT_H

#include <libpq-fe.h>
#include <time.h>

/* Failures in one window before waits begin, and the window. */
#define LOGINLIMIT_WINDOW_S 900
#define LOGINLIMIT_FIRST_WAIT "5"		/* seconds; then doubling */
#define LOGINLIMIT_MAX_WAIT_S 60		/* no wait is longer: throttling, never a lock-out */
#define LOGINLIMIT_PAIR_FREE 5		/* per login name from one address */
#define LOGINLIMIT_ADDRESS_FREE 30	/* per address, whatever the login names */
/* A login name told to wait for its address may try once within this long after the wait. */
#define LOGINLIMIT_TURN_S 300
/* Rows of login names kept per address; beyond it the oldest go (made-up names cannot grow
 * the table without bound). */
#define LOGINLIMIT_NAMES_PER_ADDRESS 200

/* The counters' keys: the address (an IPv6 one by its /64) and login + address. */
struct loginlimit_keys {
	char address[64];
	char pair[160];
};

/* Makes the keys of a login attempt. */
void loginlimit_keys(const char *login, const char *address, struct loginlimit_keys *out);
/*
 * Whether an attempt may be checked now: returns 0 and sets *wait_s to 0 when it may, or to
 * the seconds to wait (at most LOGINLIMIT_MAX_WAIT_S). This login from this address waits
 * when it has failed too often itself; it waits for its address (failing under any names)
 * unless it has just waited its turn, and then the wait is noted as its turn, which a later
 * failure of the address does not take away. -1 with *err on a database failure.
 */
int loginlimit_check(PGconn *conn, const struct loginlimit_keys *k, time_t now, long long *wait_s,
		     char **err);
/* Counts a failed attempt (both counters; the attempt's turn is used up); 0 or -1 with
 * *err. */
int loginlimit_failed(PGconn *conn, const struct loginlimit_keys *k, time_t now, char **err);
/* A right password clears this login's counter at this address (the address's stays). */
int loginlimit_succeeded(PGconn *conn, const struct loginlimit_keys *k, char **err);

#endif
