/* Passwords (Argon2id), API tokens and their hashes. */
#ifndef BAOCAO_AUTH_H
#define BAOCAO_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_HASH_BYTES 32

/* Initialises libsodium; returns 0 or -1. Call once at start. */
int auth_init(void);
/* Hashes a password with Argon2id into a new string; NULL if out of memory for hashing. */
char *auth_password_hash(const char *password);
/* Whether password matches an Argon2id hash string. */
bool auth_password_verify(const char *hash, const char *password);
/* A new random password of readable characters (no 0/O, 1/l/I). */
char *auth_password_generate(void);
/* A new random API token, "bct_" followed by 43 base64url characters. */
char *auth_token_generate(void);
/* The SHA-256 of a token, as stored in the database. */
void auth_token_hash(const char *token, unsigned char out[AUTH_HASH_BYTES]);
/* Lower-case hex of bytes into a new string. */
char *auth_hex(const unsigned char *bytes, size_t n);


#include <libpq-fe.h>
#include <time.h>

/* What an account may do. */
enum auth_role { ROLE_REPORTER, ROLE_COORDINATOR, ROLE_RECIPIENT, ROLE_ADMIN };

/* Who is making a request. */
struct principal {
	long long account_id;
	char login[65];
	long long unit_id;
	char unit_code[33];
	enum auth_role role;
};

/* Parses "reporter", "coordinator", "recipient" or "admin"; returns 0 or -1. */
int auth_role_parse(const char *s, enum auth_role *out);
const char *auth_role_name(enum auth_role role);

/* Results of auth_bearer. */
enum auth_result { AUTH_OK, AUTH_NONE, AUTH_INVALID, AUTH_DB };

/*
 * Checks an "Authorization: Bearer <token>" header value against the stored token hashes of
 * enabled accounts. AUTH_NONE when there is no bearer token, AUTH_INVALID when it matches no
 * live token, AUTH_DB (with *err) on a database failure.
 */
enum auth_result auth_bearer(PGconn *conn, const char *authorization, time_t now,
			     struct principal *out, char **err);

/* The name of the session cookie; with HTTPS (cookie_secure) the __Host- form, which a
 * sibling domain cannot set. Both are read. */
#define AUTH_COOKIE "baocao_session"
#define AUTH_COOKIE_SECURE "__Host-baocao_session"

/* How sessions are judged: the clock, the idle timeout, which cookie name counts. */
struct auth_session_rules {
	time_t now;
	long long idle_s;	/* a session unused this long is over */
	bool secure_only;	/* only the __Host- cookie (the site is served over HTTPS) */
};

/*
 * Checks the session cookie of a Cookie header value. AUTH_OK fills out and sets *csrf (new
 * string) to the session's CSRF token; AUTH_NONE when there is no session cookie; AUTH_INVALID
 * when it names no live session.
 */
enum auth_result auth_session(PGconn *conn, const char *cookie_header,
			      const struct auth_session_rules *rules, struct principal *out,
			      char **csrf, char **err);
/*
 * Checks a login and password and opens a session for lifetime_s seconds. AUTH_OK gives the
 * session token for the cookie and its CSRF token (new strings) and the expiry; AUTH_INVALID
 * for an unknown login, a wrong password or a disabled account (the same time is spent).
 */
enum auth_result auth_login(PGconn *conn, const char *login, const char *password,
			    long long lifetime_s, time_t now, const char *remote_addr,
			    struct principal *out, char **token, char **csrf, time_t *expires,
			    char **err);
/* Ends the session of a Cookie header value, if any. Returns AUTH_OK or AUTH_DB. */
enum auth_result auth_logout(PGconn *conn, const char *cookie_header, char **err);
/*
 * Sets an account's password (an auth_password_hash string) and ends its web sessions other
 * than those the Cookie header presents, in the caller's transaction. Returns the number of
 * sessions ended, or -1 with *err set.
 */
long long auth_password_set(PGconn *conn, long long account_id, const char *hash,
			    const char *cookie_header, char **err);
/* Whether two strings are equal, in time that does not depend on where they differ. */
bool auth_equal(const char *a, const char *b);

#endif
