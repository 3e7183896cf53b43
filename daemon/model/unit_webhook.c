/* A unit's webhook: the URLs the server may POST to, and the unit's signing secret, sealed
 * (XChaCha20-Poly1305, the unit's code as associated data) under a key derived from the MAC
 * key in data_dir, so that a copy of the database alone does not give the secrets away. */
#include "unit_webhook.h"
#include "db.h"
#include "util.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the sealing key is derived for; another purpose of the MAC key never gets the same. */
static const char seal_purpose[] = "baocao unit webhook secret v1";

/* Whether the server may POST to the URL. */
bool unit_push_url_allowed(const char *url)
{
	if (strlen(url) > UNIT_WEBHOOK_URL_MAX)
		return false;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok = false;
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		ok = strcmp(scheme, "https") == 0 ||
		     (strcmp(scheme, "http") == 0 &&
		      (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
		       strcmp(host, "[::1]") == 0));
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* Whether a secret can be used. */
bool unit_webhook_secret_valid(const char *secret)
{
	size_t n = strlen(secret);
	if (n < UNIT_WEBHOOK_SECRET_MIN || n > UNIT_WEBHOOK_SECRET_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)secret[i] <= ' ' || (unsigned char)secret[i] >= 0x7f)
			return false;
	return true;
}

/* A new random secret. */
char *unit_webhook_secret_new(void)
{
	unsigned char raw[32];
	char hex[sizeof raw * 2 + 1];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	return xstrdup(hex);
}

/* The sealing key, derived from the MAC key. */
static void seal_key(const unsigned char mac[32],
		     unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES])
{
	crypto_auth_hmacsha256_state st;
	unsigned char out[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_init(&st, mac, 32);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)seal_purpose,
				      sizeof seal_purpose - 1);
	crypto_auth_hmacsha256_final(&st, out);
	memcpy(key, out, crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	sodium_memzero(out, sizeof out);
	sodium_memzero(&st, sizeof st);
}

/* The secret sealed for the unit: base64 of nonce and box (new string); NULL on failure. */
static char *seal(const unsigned char mac[32], const char *code, const char *secret)
{
	unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	size_t n = strlen(secret);
	size_t len = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + n +
		     crypto_aead_xchacha20poly1305_ietf_ABYTES;
	unsigned char *buf = xmalloc(len);
	unsigned long long boxed = 0;
	seal_key(mac, key);
	randombytes_buf(buf, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	int rc = crypto_aead_xchacha20poly1305_ietf_encrypt(
		buf + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &boxed,
		(const unsigned char *)secret, n, (const unsigned char *)code, strlen(code), NULL,
		buf, key);
	sodium_memzero(key, sizeof key);
	if (rc != 0) {	/* documented never to fail; kept an error all the same */
		free(buf);
		return NULL;
	}
	size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = xmalloc(b64len);
	sodium_bin2base64(b64, b64len, buf, len, sodium_base64_VARIANT_ORIGINAL);
	free(buf);
	return b64;
}

/* The secret opened from what seal() made; NULL when it does not open. */
static char *unseal(const unsigned char mac[32], const char *code, const char *sealed)
{
	size_t max = strlen(sealed), len = 0;
	unsigned char *buf = xmalloc(max + 1);
	if (sodium_base642bin(buf, max + 1, sealed, max, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
		  crypto_aead_xchacha20poly1305_ietf_ABYTES) {
		free(buf);
		return NULL;
	}
	unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	seal_key(mac, key);
	size_t boxlen = len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	unsigned char *plain = xmalloc(boxlen + 1);
	unsigned long long n = 0;
	int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
		plain, &n, NULL, buf + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, boxlen,
		(const unsigned char *)code, strlen(code), buf, key);
	sodium_memzero(key, sizeof key);
	free(buf);
	if (rc != 0) {
		free(plain);
		return NULL;
	}
	plain[n] = '\0';
	return (char *)plain;
}

/* What unit_webhook_secret_set writes. */
struct secret_set {
	const char *code, *sealed;
	const struct audit_who *who;
	int done;
};

/* The body of unit_webhook_secret_set: the row, then the audit entry. */
static int secret_set_tx(PGconn *conn, void *arg, char **err)
{
	struct secret_set *s = arg;
	const char *p[] = { s->code, s->sealed };
	PGresult *r = db_run(conn, "unit webhook",
		"UPDATE unit SET webhook_secret = $2, updated_at = now() WHERE code = $1 "
		"RETURNING id", 2, p, err);
	if (r == NULL)
		return -1;
	s->done = PQntuples(r);
	PQclear(r);
	if (s->done == 0)
		return 0;
	return audit_write_by(conn, s->who, "webhook_secret", "unit", s->code, "{}", err);
}

/* Seals and stores a unit's secret. */
int unit_webhook_secret_set(PGconn *conn, const char *code, const char *secret,
			    const unsigned char mac[32], const struct audit_who *who, char **err)
{
	char *sealed = seal(mac, code, secret);
	if (sealed == NULL) {
		*err = xstrdup("the webhook secret cannot be sealed");
		return -1;
	}
	struct secret_set s = { code, sealed, who, 0 };
	int rc = db_tx(conn, secret_set_tx, &s, err);
	free(sealed);
	return rc == 0 ? s.done : -1;
}

/* The unit's secret, opened. */
char *unit_webhook_secret(PGconn *conn, const char *code, const unsigned char mac[32],
			  bool *lasting, char **err)
{
	*lasting = false;
	const char *p[] = { code };
	PGresult *r = db_run(conn, "unit webhook",
		"SELECT webhook_secret FROM unit WHERE code = $1", 1, p, err);
	if (r == NULL)
		return NULL;
	if (PQntuples(r) == 0 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		*lasting = true;
		*err = xasprintf("unit %s has no webhook secret: set one with baocaoctl unit "
				 "webhook-secret %s, then send this again", code, code);
		return NULL;
	}
	char *secret = unseal(mac, code, PQgetvalue(r, 0, 0));
	PQclear(r);
	if (secret == NULL) {
		*lasting = true;
		*err = xasprintf("the webhook secret of unit %s cannot be opened with this server's "
				 "MAC key (restored from another server?): set it again with "
				 "baocaoctl unit webhook-secret %s, then send this again", code, code);
	}
	return secret;
}
