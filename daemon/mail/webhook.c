/* Webhooks: the POST of a unit's webhook item, signed with the unit's secret. */
#include "webhook.h"
#include "keys.h"
#include "unit_webhook.h"
#include "util.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Signs "TIMESTAMP.BODY". */
int webhook_sign(const char *secret, long long timestamp, const void *body, size_t len,
		 char out[WEBHOOK_SIGNATURE_HEX + 1])
{
	char ts[24];
	int n = snprintf(ts, sizeof ts, "%lld.", timestamp);
	unsigned char *msg = xmalloc((size_t)n + len + 1);
	memcpy(msg, ts, (size_t)n);
	memcpy(msg + n, body, len);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char *ok = HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, (size_t)n + len,
				 md, &mdlen);
	free(msg);
	if (ok == NULL || mdlen != WEBHOOK_SIGNATURE_HEX / 2)
		return -1;
	sodium_bin2hex(out, WEBHOOK_SIGNATURE_HEX + 1, md, mdlen);
	return 0;
}

/* POSTs one webhook item, signed now. */
enum deliver_result webhook_send(PGconn *conn, const char *unit, const char *url,
				 const char *body, const char *id, time_t now, char **detail)
{
	if (!unit_push_url_allowed(url)) {
		char *shown = deliver_url_display(url);
		*detail = xasprintf("the webhook URL %s of unit %s must be https:// (http:// only to "
				    "this machine)", shown, unit);
		free(shown);
		return DELIVER_PERMANENT;
	}
	const struct keys *keys = keys_server();
	/* Without a secret that opens, the item fails at once (the admin's outbox lists it, to
	 * be sent again once one is set) rather than wait unnoticed. */
	bool lasting;
	char *secret = unit_webhook_secret(conn, unit, keys->mac, &lasting, detail);
	if (secret == NULL)
		return lasting ? DELIVER_PERMANENT : DELIVER_TEMPORARY;
	char sig[WEBHOOK_SIGNATURE_HEX + 1];
	size_t len = strlen(body);
	int rc = webhook_sign(secret, (long long)now, body, len, sig);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	if (rc != 0) {
		*detail = xstrdup("libcrypto cannot compute the signature");
		return DELIVER_TEMPORARY;
	}
	char *lines[] = {
		xstrdup("Content-Type: application/json; charset=utf-8"),
		xasprintf("X-Baocao-Timestamp: %lld", (long long)now),
		xasprintf("X-Baocao-Signature: sha256=%s", sig),
		xasprintf("Idempotency-Key: %s", id),
		xstrdup("User-Agent: baocao-webhook"),
	};
	enum deliver_result res = deliver_post(url, (const char *const *)lines, nitems(lines),
					       body, len, detail);
	for (size_t i = 0; i < nitems(lines); i++)
		free(lines[i]);
	return res;
}
