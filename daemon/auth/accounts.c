/* Accounts as administrators change them, each change in one transaction with its audit entry. */
#include "accounts.h"
#include "auth.h"
#include "db.h"
#include "json.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether a login has the allowed form. */
bool accounts_login_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 64 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

struct create {
	const struct accounts_new *a;
	const struct audit_who *who;
};

/* The body of accounts_create. */
static int create_tx(PGconn *conn, void *arg, char **err)
{
	struct create *c = arg;
	const struct accounts_new *a = c->a;
	const char *p1[] = { a->unit };
	PGresult *r = db_run(conn, "account", "SELECT id FROM unit WHERE code = $1", 1, p1, err);
	if (r == NULL)
		return ACCOUNTS_DB;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return ACCOUNTS_NO_UNIT;
	}
	char *unit_id = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *p2[] = { a->login, a->name ? a->name : "", a->email, unit_id, a->role,
			     a->hash };
	r = db_run(conn, "account", "INSERT INTO account (login, display_name, email, unit_id, "
		   "role, password_hash) VALUES ($1, $2, $3, $4, $5, $6) "
		   "ON CONFLICT (login) DO NOTHING RETURNING id", 6, p2, err);
	free(unit_id);
	if (r == NULL)
		return ACCOUNTS_DB;
	int n = PQntuples(r);
	PQclear(r);
	if (n == 0)
		return ACCOUNTS_EXISTS;
	struct strbuf detail = STRBUF_INIT;
	struct json j;
	json_init(&j, &detail);
	json_object_begin(&j);
	json_kv_string(&j, "unit", a->unit);
	json_kv_string(&j, "role", a->role);
	json_kv_string(&j, "email", a->email);
	json_kv_bool(&j, "password", a->hash != NULL);
	json_object_end(&j);
	int rc = audit_write_by(conn, c->who, "create", "account", a->login, strbuf_str(&detail),
				err);
	strbuf_free(&detail);
	return rc == 0 ? ACCOUNTS_OK : ACCOUNTS_DB;
}

/* Runs a body in a transaction; a user's mistake rolls back too. */
static enum accounts_result run_tx(PGconn *conn, db_tx_fn fn, void *arg, char **err)
{
	int rc = db_tx(conn, fn, arg, err);
	return rc == DB_TX_FAILED ? ACCOUNTS_DB : (enum accounts_result)rc;
}

/* Creates an account. */
enum accounts_result accounts_create(PGconn *conn, const struct accounts_new *a,
				     const struct audit_who *who, char **err)
{
	struct create c = { a, who };
	return run_tx(conn, create_tx, &c, err);
}

/* The account's id (locked for the transaction), or "" when there is none; NULL on failure.
 * *disabled and *admin say whether it is disabled and an administrator. */
static char *account_id(PGconn *conn, const char *login, bool *disabled, bool *admin,
			char **err)
{
	const char *p[] = { login };
	PGresult *r = db_run(conn, "account", "SELECT id, disabled, role = 'admin' FROM account "
			     "WHERE login = $1 FOR UPDATE", 1, p, err);
	if (r == NULL)
		return NULL;
	char *id = xstrdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	if (disabled)
		*disabled = PQntuples(r) && strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	if (admin)
		*admin = PQntuples(r) && strcmp(PQgetvalue(r, 0, 2), "t") == 0;
	PQclear(r);
	return id;
}

/* Revokes an account's live API tokens. */
long long accounts_revoke_tokens(PGconn *conn, long long account_id, char **err)
{
	char account[24];
	snprintf(account, sizeof account, "%lld", account_id);
	const char *p[] = { account };
	PGresult *r = db_run(conn, "account", "UPDATE api_token SET revoked_at = now() "
			     "WHERE account_id = $1 AND revoked_at IS NULL", 1, p, err);
	if (r == NULL)
		return -1;
	long long n = atoll(PQcmdTuples(r));
	PQclear(r);
	return n;
}

struct passwd {
	const char *login, *hash, *keep_cookie;
	const struct audit_who *who;
	bool guard_admins;
	struct accounts_reset out;
};

/* The body of accounts_set_password. */
static int passwd_tx(PGconn *conn, void *arg, char **err)
{
	struct passwd *pw = arg;
	bool admin = false;
	char *id = account_id(conn, pw->login, NULL, &admin, err);
	if (id == NULL)
		return ACCOUNTS_DB;
	if (id[0] == '\0') {
		free(id);
		return ACCOUNTS_NOT_FOUND;
	}
	/* Over the API one admin taking over another is refused; on the server it is not. */
	if (pw->guard_admins && admin && strcmp(pw->login, pw->who->actor) != 0) {
		free(id);
		return ACCOUNTS_ADMIN_GUARDED;
	}
	pw->out.ended = auth_password_set(conn, atoll(id), pw->hash, pw->keep_cookie, err);
	/* Whoever knew the old password may have made tokens: they go with it. */
	pw->out.revoked = pw->out.ended < 0 ? -1 : accounts_revoke_tokens(conn, atoll(id), err);
	free(id);
	if (pw->out.ended < 0 || pw->out.revoked < 0)
		return ACCOUNTS_DB;
	char detail[96];
	snprintf(detail, sizeof detail, "{\"sessions_ended\":%lld,\"tokens_revoked\":%lld}",
		 pw->out.ended, pw->out.revoked);
	return audit_write_by(conn, pw->who, "set_password", "account", pw->login, detail, err)
		       ? ACCOUNTS_DB : ACCOUNTS_OK;
}

/* Sets an account's password. */
enum accounts_result accounts_set_password(PGconn *conn, const char *login, const char *hash,
					   const char *keep_cookie, const struct audit_who *who,
					   bool guard_admins, struct accounts_reset *out,
					   char **err)
{
	struct passwd pw = { login, hash, keep_cookie, who, guard_admins, { 0, 0 } };
	enum accounts_result rc = run_tx(conn, passwd_tx, &pw, err);
	*out = pw.out;
	return rc;
}

/* Whether disabling login would leave no enabled admin: 1 if so, 0 if not, -1 on failure.
 * The enabled admins are locked first, in one order, so that two admins disabling each other
 * at once wait for each other and cannot leave none. */
static int last_admin(PGconn *conn, const char *login, char **err)
{
	PGresult *r = db_run(conn, "account", "SELECT login FROM account WHERE role = 'admin' AND "
			     "NOT disabled ORDER BY id FOR UPDATE", 0, NULL, err);
	if (r == NULL)
		return -1;
	bool target = false;
	int others = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		if (strcmp(PQgetvalue(r, i, 0), login) == 0)
			target = true;
		else
			others++;
	}
	PQclear(r);
	return target && others == 0;
}

struct disable {
	const char *login;
	bool disable;
	bool guard_admins;
	time_t now;
	const struct audit_who *who;
	struct accounts_switch *out;
};

/* The body of accounts_set_disabled. */
static int disable_tx(PGconn *conn, void *arg, char **err)
{
	struct disable *d = arg;
	if (d->guard_admins && d->disable) {
		int last = last_admin(conn, d->login, err);
		if (last != 0)
			return last < 0 ? ACCOUNTS_DB : ACCOUNTS_LAST_ADMIN;
	}
	bool was;
	char *id = account_id(conn, d->login, &was, NULL, err);
	if (id == NULL)
		return ACCOUNTS_DB;
	if (id[0] == '\0') {
		free(id);
		return ACCOUNTS_NOT_FOUND;
	}
	char now[24];
	snprintf(now, sizeof now, "%lld", (long long)d->now);
	const char *p[] = { id, d->disable ? "true" : "false", now };
	int rc = ACCOUNTS_DB;
	PGresult *r;
	d->out->changed = was != d->disable;
	if (d->out->changed) {
		r = db_run(conn, "account", "UPDATE account SET disabled = $2::boolean, "
			   "updated_at = now() WHERE id = $1", 2, p, err);
		if (r == NULL)
			goto out;
		PQclear(r);
	}
	/* The daemon already refuses a disabled account's sessions; deleting them keeps them
	 * from coming back when it is enabled again. Enabling deletes them too: one may have
	 * been opened by a login that raced the disable. */
	if (d->disable || d->out->changed) {
		r = db_run(conn, "account", "DELETE FROM web_session WHERE account_id = $1", 1, p,
			   err);
		if (r == NULL)
			goto out;
		d->out->ended = atoll(PQcmdTuples(r));
		PQclear(r);
	}
	const char *pt[] = { id, now };
	r = db_run(conn, "account", "SELECT count(*) FROM api_token WHERE account_id = $1 "
		   "AND revoked_at IS NULL AND (expires_at IS NULL OR "
		   "expires_at > to_timestamp($2::bigint))", 2, pt, err);
	if (r == NULL)
		goto out;
	d->out->tokens = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	rc = ACCOUNTS_OK;
	if (d->out->changed || d->out->ended > 0) {
		char detail[96];
		snprintf(detail, sizeof detail, "{\"web_sessions_ended\":%lld,"
			 "\"live_api_tokens\":%lld}", d->out->ended, d->out->tokens);
		if (audit_write_by(conn, d->who, d->disable ? "disable" : "enable", "account",
				   d->login, detail, err) != 0)
			rc = ACCOUNTS_DB;
	}
out:
	free(id);
	return rc;
}

/* Disables or enables an account. */
enum accounts_result accounts_set_disabled(PGconn *conn, const char *login, bool disable,
					   time_t now, const struct audit_who *who,
					   bool guard_admins, struct accounts_switch *out,
					   char **err)
{
	memset(out, 0, sizeof *out);
	struct disable d = { login, disable, guard_admins, now, who, out };
	return run_tx(conn, disable_tx, &d, err);
}

/* Every account with its unit, whether it has a password and its sessions. */
PGresult *accounts_list(PGconn *conn, char **err)
{
	return db_run(conn, "accounts",
		"SELECT a.login, a.display_name, a.email, u.code, u.name, a.role, a.disabled, "
		"  a.password_hash IS NOT NULL, "
		"  (SELECT count(*) FROM web_session s WHERE s.account_id = a.id) "
		"FROM account a JOIN unit u ON u.id = a.unit_id ORDER BY a.login", 0, NULL, err);
}

/* One account's names and its unit's series. */
PGresult *accounts_profile(PGconn *conn, long long account_id, char **err)
{
	char account[24];
	snprintf(account, sizeof account, "%lld", account_id);
	const char *p[] = { account };
	return db_run(conn, "me",
		"SELECT a.display_name, a.email, u.name, "
		"  (SELECT string_agg(s.name, ' ' ORDER BY s.name) FROM series_member m "
		"   JOIN series s ON s.id = m.series_id WHERE m.unit_id = u.id) "
		"FROM account a JOIN unit u ON u.id = a.unit_id WHERE a.id = $1", 1, p, err);
}

/* The display name of a login. */
int accounts_display_name(PGconn *conn, const char *login, char **name, char **err)
{
	const char *p[] = { login };
	PGresult *r = db_run(conn, "approve", "SELECT display_name FROM account WHERE login = $1",
			     1, p, err);
	if (r == NULL)
		return -1;
	*name = xstrdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return 0;
}

/* Whether an enabled account's stored password is the one given. */
int accounts_password_matches(PGconn *conn, long long account_id, const char *password,
			      char **err)
{
	char account[24];
	snprintf(account, sizeof account, "%lld", account_id);
	const char *p[] = { account };
	PGresult *r = db_run(conn, "password check", "SELECT password_hash FROM account "
			     "WHERE id = $1 AND NOT disabled", 1, p, err);
	if (r == NULL)
		return -1;
	bool ok = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) &&
		  auth_password_verify(PQgetvalue(r, 0, 0), password);
	PQclear(r);
	return ok ? 1 : 0;
}

/* An account's API tokens neither revoked nor expired. */
PGresult *accounts_live_tokens(PGconn *conn, long long account_id, time_t now, char **err)
{
	char account[24], nowbuf[24];
	snprintf(account, sizeof account, "%lld", account_id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *p[] = { account, nowbuf };
	return db_run(conn, "account tokens",
		"SELECT id, label, extract(epoch FROM created_at)::bigint, "
		"  extract(epoch FROM last_used_at)::bigint, extract(epoch FROM expires_at)::bigint "
		"FROM api_token WHERE account_id = $1 AND revoked_at IS NULL AND "
		"  (expires_at IS NULL OR expires_at > to_timestamp($2::bigint)) "
		"ORDER BY created_at, id LIMIT 1000", 2, p, err);
}
