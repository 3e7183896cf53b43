/* Failed logins counted in PostgreSQL per client address and per login name and address. */
#ifndef BAOCAO_LOGINLIMIT_H
#define BAOCAO_LOGINLIMIT_H

#include <libpq-fe.h>
#include <time.h>

/* Failures in one window before waits begin, and the window. */
#define LOGINLIMIT_WINDOW_S 900
#define LOGINLIMIT_FIRST_WAIT "5"		/* seconds; then doubling */
#define LOGINLIMIT_PAIR_FREE 5		/* per login name from one address */
#define LOGINLIMIT_PAIR_MAX_WAIT_S 300
#define LOGINLIMIT_ADDRESS_FREE 30	/* per address, whatever the login names */
#define LOGINLIMIT_ADDRESS_MAX_WAIT_S 900

/* The counters' keys: the address (an IPv6 one by its /64) and login + address. */
struct loginlimit_keys {
	char address[64];
	char pair[160];
};

/* Makes the keys of a login attempt. */
void loginlimit_keys(const char *login, const char *address, struct loginlimit_keys *out);
/*
 * Whether an attempt may be checked now: returns 0 and sets *wait_s to 0 when it may, or to
 * the seconds to wait when its address, or this login from this address, has failed too
 * often; -1 with *err on a database failure.
 */
int loginlimit_check(PGconn *conn, const struct loginlimit_keys *k, time_t now, long long *wait_s,
		     char **err);
/* Counts a failed attempt (both counters); 0 or -1 with *err. */
int loginlimit_failed(PGconn *conn, const struct loginlimit_keys *k, time_t now, char **err);
/* A right password clears this login's counter at this address (the address's stays). */
int loginlimit_succeeded(PGconn *conn, const struct loginlimit_keys *k, char **err);

#endif
