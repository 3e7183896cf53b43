/* Accounts as administrators change them: creating, setting a password, turning off and on,
 * each in one transaction with its audit entry (baocaoctl account and the admin pages). */
#ifndef BAOCAO_ACCOUNTS_H
#define BAOCAO_ACCOUNTS_H

#include "audit.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

enum accounts_result {
	ACCOUNTS_OK,
	ACCOUNTS_NO_UNIT,	/* no unit with that code */
	ACCOUNTS_EXISTS,	/* the login is taken */
	ACCOUNTS_NOT_FOUND,	/* no account with that login */
	ACCOUNTS_ADMIN_GUARDED,	/* another admin's password: only baocaoctl on the server */
	ACCOUNTS_LAST_ADMIN,	/* the last enabled admin: only baocaoctl on the server */
	ACCOUNTS_DB,		/* a database failure, with *err */
};

/* Whether a login has the allowed form: 2-64 of a-z 0-9 . _ -, starting with a letter or
 * digit. */
bool accounts_login_valid(const char *login);

struct accounts_new {
	const char *login, *name, *email, *unit, *role;	/* name may be NULL or "" */
	const char *hash;	/* auth_password_hash(), or NULL: no password login */
};

/* Creates an account; audit "create". */
enum accounts_result accounts_create(PGconn *conn, const struct accounts_new *a,
				     const struct audit_who *who, char **err);
/* What setting a password did. */
struct accounts_reset {
	long long ended;	/* web sessions ended */
	long long revoked;	/* API tokens revoked */
};

/*
 * Sets an account's password hash (an administrator's reset), ends its web sessions but those
 * the Cookie header keep_cookie presents (NULL: all of them) and revokes all its API tokens;
 * audit "set_password". With guard_admins (the admin API) another admin's password is
 * refused: ACCOUNTS_ADMIN_GUARDED.
 */
enum accounts_result accounts_set_password(PGconn *conn, const char *login, const char *hash,
					   const char *keep_cookie, const struct audit_who *who,
					   bool guard_admins, struct accounts_reset *out,
					   char **err);
/* Revokes an account's live API tokens in the caller's transaction; the number revoked, or
 * -1 with *err. */
long long accounts_revoke_tokens(PGconn *conn, long long account_id, char **err);

/* What turning an account off or on did. */
struct accounts_switch {
	bool changed;		/* false: it was already so */
	long long ended;	/* web sessions ended */
	long long tokens;	/* live API tokens (refused while disabled) */
};

/* Disables or enables an account, ending its web sessions; audit "disable"/"enable" when
 * something changed. With guard_admins (the admin API) disabling the last enabled admin is
 * refused: ACCOUNTS_LAST_ADMIN. */
enum accounts_result accounts_set_disabled(PGconn *conn, const char *login, bool disable,
					   time_t now, const struct audit_who *who,
					   bool guard_admins, struct accounts_switch *out,
					   char **err);

/* Every account, by login: login, display_name, email, unit code, unit name, role, disabled,
 * has a password, web sessions (how many); NULL with *err. The admin page and baocaoctl
 * account list. */
PGresult *accounts_list(PGconn *conn, char **err);
/* One account as its owner sees it: display_name, email, unit name, the names of its unit's
 * series separated by spaces (NULL when none); no row when it is gone; NULL with *err. */
PGresult *accounts_profile(PGconn *conn, long long account_id, char **err);
/* The display name of a login into *name (new; "" when none): 0, or -1 with *err. */
int accounts_display_name(PGconn *conn, const char *login, char **name, char **err);
/* Whether an enabled account's stored password is password: 1 or 0; -1 with *err. */
int accounts_password_matches(PGconn *conn, long long account_id, const char *password,
			      char **err);
/* An account's live API tokens at now, oldest first: id, label, and created_at, last_used_at
 * and expires_at in Unix seconds (NULL when none); NULL with *err. */
PGresult *accounts_live_tokens(PGconn *conn, long long account_id, time_t now, char **err);

#endif
