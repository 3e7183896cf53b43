/* Passwords (Argon2id), API tokens and their hashes. */
#include "auth.h"
#include "db.h"
#include "util.h"

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

/* Whether p may act for a unit. */
bool auth_may_act_for(const struct principal *p, long long unit_id)
{
	return p->role == ROLE_COORDINATOR || p->role == ROLE_ADMIN || p->unit_id == unit_id;
}

/* Looks up a bearer token. */
enum auth_result auth_bearer(PGconn *conn, const char *authorization, struct principal *out,
			     char **err)
{
	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return AUTH_NONE;
	const char *token = authorization + 7;
	while (*token == ' ')
		token++;
	if (strncmp(token, "bct_", 4) != 0 || strlen(token) > 128)
		return AUTH_INVALID;
	unsigned char hash[AUTH_HASH_BYTES];
	auth_token_hash(token, hash);
	char *hex = auth_hex(hash, sizeof hash);
	char *param = xasprintf("\\x%s", hex);
	free(hex);
	const char *p[] = { param };
	/* A read; the time of last use is written at most once a minute per token. */
	PGresult *r = db_query(conn,
		"SELECT a.id, a.login, a.role, u.id, u.code, t.id, "
		"  t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' "
		"FROM api_token t JOIN account a ON a.id = t.account_id "
		"JOIN unit u ON u.id = a.unit_id "
		"WHERE t.token_hash = $1::bytea AND NOT a.disabled AND t.revoked_at IS NULL "
		"  AND (t.expires_at IS NULL OR t.expires_at > now())", 1, p, NULL, NULL);
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
	memset(out, 0, sizeof *out);
	out->account_id = atoll(PQgetvalue(r, 0, 0));
	snprintf(out->login, sizeof out->login, "%s", PQgetvalue(r, 0, 1));
	enum auth_result rc = AUTH_OK;
	if (auth_role_parse(PQgetvalue(r, 0, 2), &out->role) != 0) {
		*err = xasprintf("account %s has an unknown role", out->login);
		rc = AUTH_DB;
	}
	out->unit_id = atoll(PQgetvalue(r, 0, 3));
	snprintf(out->unit_code, sizeof out->unit_code, "%s", PQgetvalue(r, 0, 4));
	bool stale = strcmp(PQgetvalue(r, 0, 6), "t") == 0;
	if (stale && rc == AUTH_OK) {
		const char *id[] = { PQgetvalue(r, 0, 5) };
		PGresult *u = PQexecParams(conn, "UPDATE api_token SET last_used_at = now() "
					   "WHERE id = $1", 1, NULL, id, NULL, NULL, 0);
		if (PQresultStatus(u) != PGRES_COMMAND_OK) {
			*err = xasprintf("token use: %s", str_trim(PQresultErrorMessage(u)));
			rc = AUTH_DB;
		}
		PQclear(u);
	}
	PQclear(r);
	return rc;
}
