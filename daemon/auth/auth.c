/* Passwords (Argon2id), API tokens and their hashes. */
#include "auth.h"
#include "db.h"
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Initialises libsodium. */
int auth_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* Hashes a password with Argon2id at the interactive cost. */
char *auth_password_hash(const char *password)
{
	char out[crypto_pwhash_STRBYTES];
	if (crypto_pwhash_str_alg(out, password, strlen(password),
				  crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return NULL;
	return xstrdup(out);
}

/* Checks a password against its hash. */
bool auth_password_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* A random 16-character password from an unambiguous alphabet. */
char *auth_password_generate(void)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char out[17];
	for (int i = 0; i < 16; i++)
		out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
	out[16] = '\0';
	return xstrdup(out);
}

/* A random token of 256 bits. */
char *auth_token_generate(void)
{
	unsigned char raw[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return xasprintf("bct_%s", b64);
}

/* SHA-256 of a token. */
void auth_token_hash(const char *token, unsigned char out[AUTH_HASH_BYTES])
{
	crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

/* Hex encoding. */
char *auth_hex(const unsigned char *bytes, size_t n)
{
	char *out = xmalloc(n * 2 + 1);
	sodium_bin2hex(out, n * 2 + 1, bytes, n);
	return out;
}

static const char *const role_names[] = { "reporter", "coordinator", "recipient", "admin" };

/* Parses a role name. */
int auth_role_parse(const char *s, enum auth_role *out)
{
	for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum auth_role)i;
			return 0;
		}
	}
	return -1;
}

/* The name of a role. */
const char *auth_role_name(enum auth_role role)
{
	return role_names[role];
}

#define MAX_COOKIE_TOKENS 4

/* Collects the session tokens of a Cookie header (either cookie name, or with secure_only
 * only the __Host- one, which a sibling domain or plain HTTP cannot set; a page may carry
 * more than one); returns how many (new strings in out). */
static int cookie_tokens(const char *header, bool secure_only, char *out[MAX_COOKIE_TOKENS])
{
	int n = 0;
	for (const char *p = header; p && *p && n < MAX_COOKIE_TOKENS;) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t len = strcspn(p, ";");
		static const char *const names[] = { AUTH_COOKIE, AUTH_COOKIE_SECURE };
		for (size_t k = secure_only ? 1 : 0; k < 2; k++) {
			size_t nl = strlen(names[k]);
			if (len > nl + 1 && strncmp(p, names[k], nl) == 0 && p[nl] == '=' &&
			    len - nl - 1 <= 128)
				out[n++] = xstrndup(p + nl + 1, len - nl - 1);
		}
		p += len;
	}
	return n;
}

/* The bytea parameter of a token's SHA-256. */
static char *token_param(const char *token)
{
	unsigned char hash[AUTH_HASH_BYTES];
	auth_token_hash(token, hash);
	char *hex = auth_hex(hash, sizeof hash);
	char *param = xasprintf("\\x%s", hex);
	free(hex);
	return param;
}

/* Fills a principal from columns: account id, login, role, unit id, unit code. */
static bool principal_from_row(PGresult *r, int col, struct principal *out)
{
	memset(out, 0, sizeof *out);
	out->account_id = atoll(PQgetvalue(r, 0, col));
	snprintf(out->login, sizeof out->login, "%s", PQgetvalue(r, 0, col + 1));
	out->unit_id = atoll(PQgetvalue(r, 0, col + 3));
	snprintf(out->unit_code, sizeof out->unit_code, "%s", PQgetvalue(r, 0, col + 4));
	return auth_role_parse(PQgetvalue(r, 0, col + 2), &out->role) == 0;
}

/* Looks up a bearer token. */
enum auth_result auth_bearer(PGconn *conn, const char *authorization, time_t now,
			     struct principal *out, char **err)
{
	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return AUTH_NONE;
	const char *token = authorization + 7;
	while (*token == ' ')
		token++;
	if (strncmp(token, "bct_", 4) != 0 || strlen(token) > 128)
		return AUTH_INVALID;
	char *param = token_param(token);
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *p[] = { param, nowbuf };
	/* A read; the time of last use is written at most once a minute per token. */
	PGresult *r = db_query(conn,
		"SELECT a.id, a.login, a.role, u.id, u.code, t.id, "
		"  t.last_used_at IS NULL OR "
		"  t.last_used_at < to_timestamp($2::bigint) - interval '1 minute' "
		"FROM api_token t JOIN account a ON a.id = t.account_id "
		"JOIN unit u ON u.id = a.unit_id "
		"WHERE t.token_hash = $1::bytea AND NOT a.disabled AND t.revoked_at IS NULL "
		"  AND (t.expires_at IS NULL OR t.expires_at > to_timestamp($2::bigint))", 2, p,
		NULL, NULL);
	free(param);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		*err = xasprintf("token lookup: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return AUTH_DB;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return AUTH_INVALID;
	}
	enum auth_result rc = AUTH_OK;
	if (!principal_from_row(r, 0, out)) {
		*err = xasprintf("account %s has an unknown role", out->login);
		rc = AUTH_DB;
	}
	bool stale = strcmp(PQgetvalue(r, 0, 6), "t") == 0;
	if (stale && rc == AUTH_OK) {
		const char *id[] = { PQgetvalue(r, 0, 5), nowbuf };
		PGresult *u = db_query(conn, "UPDATE api_token SET "
				       "last_used_at = to_timestamp($2::bigint) WHERE id = $1", 2, id,
				       NULL, NULL);
		if (PQresultStatus(u) != PGRES_COMMAND_OK)	/* bookkeeping: log, go on */
			log_warn("auth", "cannot note the token's last use: %s",
				 str_trim(PQresultErrorMessage(u)));
		PQclear(u);
	}
	PQclear(r);
	return rc;
}

/* Looks up one session token; AUTH_OK, AUTH_INVALID or AUTH_DB. */
static enum auth_result session_lookup(PGconn *conn, const char *token, time_t now,
				       long long idle_s, struct principal *out, char **csrf,
				       char **err)
{
	char *param = token_param(token);
	char nowbuf[24], idle[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(idle, sizeof idle, "%lld", idle_s);
	const char *p[] = { param, nowbuf, idle };
	PGresult *r = db_query(conn,
		"SELECT a.id, a.login, a.role, u.id, u.code, s.csrf_token, s.id, "
		"  s.last_seen_at < to_timestamp($2::bigint) - interval '1 minute' "
		"FROM web_session s JOIN account a ON a.id = s.account_id "
		"JOIN unit u ON u.id = a.unit_id "
		"WHERE s.token_hash = $1::bytea AND NOT a.disabled "
		"  AND s.expires_at > to_timestamp($2::bigint) "
		"  AND s.last_seen_at > to_timestamp($2::bigint) - make_interval(secs => $3::bigint)",
		3, p, NULL, NULL);
	free(param);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		*err = xasprintf("session lookup: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return AUTH_DB;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return AUTH_INVALID;
	}
	if (!principal_from_row(r, 0, out)) {
		*err = xasprintf("account %s has an unknown role", out->login);
		PQclear(r);
		return AUTH_DB;
	}
	*csrf = xstrdup(PQgetvalue(r, 0, 5));
	if (strcmp(PQgetvalue(r, 0, 7), "t") == 0) {
		/* Bookkeeping, at most once a minute; a failure does not fail the request. */
		const char *id[] = { PQgetvalue(r, 0, 6), nowbuf };
		PGresult *u = db_query(conn, "UPDATE web_session SET "
				       "last_seen_at = to_timestamp($2::bigint) WHERE id = $1", 2, id,
				       NULL, NULL);
		if (PQresultStatus(u) != PGRES_COMMAND_OK)
			log_warn("auth", "cannot note the session's last use: %s",
				 str_trim(PQresultErrorMessage(u)));
		PQclear(u);
	}
	PQclear(r);
	return AUTH_OK;
}

/* Checks the session cookies of a request: the first live one wins. */
enum auth_result auth_session(PGconn *conn, const char *cookie_header,
			      const struct auth_session_rules *rules, struct principal *out,
			      char **csrf, char **err)
{
	char *tokens[MAX_COOKIE_TOKENS];
	int n = cookie_tokens(cookie_header, rules->secure_only, tokens);
	enum auth_result rc = n ? AUTH_INVALID : AUTH_NONE;
	for (int i = 0; i < n; i++) {
		if (rc == AUTH_INVALID)
			rc = session_lookup(conn, tokens[i], rules->now, rules->idle_s, out, csrf,
					    err);
		free(tokens[i]);
	}
	return rc;
}

/* A hash to verify against when the login does not exist, so that it costs the same time. */
static char *dummy_hash;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

/* Makes the dummy hash once. */
static void dummy_init(void)
{
	dummy_hash = auth_password_hash("baocao: no such account");
}

/* Checks a password and opens a session. */
enum auth_result auth_login(PGconn *conn, const char *login, const char *password,
			    long long lifetime_s, time_t now, const char *remote_addr,
			    struct principal *out, char **token, char **csrf, time_t *expires,
			    char **err)
{
	const char *p[] = { login };
	PGresult *r = db_query(conn,
		"SELECT a.id, a.login, a.role, u.id, u.code, a.password_hash, a.disabled "
		"FROM account a JOIN unit u ON u.id = a.unit_id WHERE a.login = $1", 1, p, NULL,
		NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		*err = xasprintf("login lookup: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return AUTH_DB;
	}
	bool found = PQntuples(r) == 1 && !PQgetisnull(r, 0, 5);
	if (pthread_once(&dummy_once, dummy_init) != 0 || dummy_hash == NULL) {
		*err = xstrdup("login: cannot prepare the password check");
		PQclear(r);
		return AUTH_DB;
	}
	bool ok = auth_password_verify(found ? PQgetvalue(r, 0, 5) : dummy_hash, password);
	if (!found || !ok || strcmp(PQgetvalue(r, 0, 6), "t") == 0 ||
	    !principal_from_row(r, 0, out)) {
		PQclear(r);
		return AUTH_INVALID;
	}
	PQclear(r);
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *pn[] = { nowbuf };
	/* Sessions long expired go as new ones come. */
	r = db_query(conn, "DELETE FROM web_session WHERE "
		     "expires_at < to_timestamp($1::bigint) - interval '1 day'", 1, pn, NULL, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		log_warn("auth", "cannot purge expired sessions: %s",
			 str_trim(PQresultErrorMessage(r)));
	PQclear(r);
	*token = auth_token_generate();
	*csrf = auth_token_generate();
	char *param = token_param(*token);
	char account[24], seconds[24];
	snprintf(account, sizeof account, "%lld", out->account_id);
	snprintf(seconds, sizeof seconds, "%lld", lifetime_s);
	const char *q[] = { account, param, *csrf, seconds, remote_addr ? remote_addr : "", nowbuf };
	r = db_query(conn,
		"INSERT INTO web_session (account_id, token_hash, csrf_token, created_at, "
		"  last_seen_at, expires_at, remote_addr) "
		"VALUES ($1, $2::bytea, $3, to_timestamp($6::bigint), to_timestamp($6::bigint), "
		"  to_timestamp($6::bigint) + make_interval(secs => $4::bigint), $5) "
		"RETURNING extract(epoch FROM expires_at)::bigint", 6, q, NULL, NULL);
	free(param);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		*err = xasprintf("session: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		free(*token);
		free(*csrf);
		*token = *csrf = NULL;
		return AUTH_DB;
	}
	*expires = (time_t)atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return AUTH_OK;
}

/* Ends the sessions a request presents. */
enum auth_result auth_logout(PGconn *conn, const char *cookie_header, char **err)
{
	char *tokens[MAX_COOKIE_TOKENS];
	int n = cookie_tokens(cookie_header, false, tokens);
	enum auth_result rc = AUTH_OK;
	for (int i = 0; i < n; i++) {
		char *param = token_param(tokens[i]);
		free(tokens[i]);
		const char *p[] = { param };
		PGresult *r = db_query(conn, "DELETE FROM web_session WHERE token_hash = $1::bytea",
				       1, p, NULL, NULL);
		free(param);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == AUTH_OK) {
			*err = xasprintf("logout: %s", str_trim(PQresultErrorMessage(r)));
			rc = AUTH_DB;
		}
		PQclear(r);
	}
	return rc;
}

/* Constant-time string comparison. */
bool auth_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}

/* Sets an account's password hash and ends its sessions other than those the Cookie header
 * presents; in the caller's transaction. */
long long auth_password_set(PGconn *conn, long long account_id, const char *hash,
			    const char *cookie_header, char **err)
{
	char *tokens[MAX_COOKIE_TOKENS];
	int n = cookie_tokens(cookie_header, false, tokens);
	struct strbuf keep = STRBUF_INIT;
	for (int i = 0; i < n; i++) {
		char *param = token_param(tokens[i]);
		strbuf_addf(&keep, "%s%s", i ? "," : "", param);
		free(param);
		free(tokens[i]);
	}
	char account[24];
	snprintf(account, sizeof account, "%lld", account_id);
	const char *p[] = { account, hash };
	PGresult *r = db_query(conn, "UPDATE account SET password_hash = $2, updated_at = now() "
			       "WHERE id = $1", 2, p, NULL, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdTuples(r), "1") != 0) {
		*err = xasprintf("password: %s", PQresultStatus(r) == PGRES_COMMAND_OK ?
				 "no such account" : str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		strbuf_free(&keep);
		return -1;
	}
	PQclear(r);
	const char *q[] = { account, strbuf_str(&keep) };
	r = db_query(conn, "DELETE FROM web_session WHERE account_id = $1 AND "
		     "token_hash <> ALL (string_to_array($2, ',')::bytea[])", 2, q, NULL, NULL);
	strbuf_free(&keep);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		*err = xasprintf("password: sessions: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return -1;
	}
	long long ended = atoll(PQcmdTuples(r));
	PQclear(r);
	return ended;
}
