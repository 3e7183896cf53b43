/* Webhooks: the POST of a unit's webhook item (queued by outbox_queue), signed with the
 * unit's secret (docs/webhooks.md). */
#ifndef BAOCAO_WEBHOOK_H
#define BAOCAO_WEBHOOK_H

#include "deliver.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <time.h>

/* How many hex digits a signature has; the header's value is "sha256=HEX". */
#define WEBHOOK_SIGNATURE_HEX 64

/* HMAC-SHA256 of "TIMESTAMP.BODY" under the secret, in lower-case hex (out: 65 bytes).
 * Returns 0, or -1 when libcrypto fails. */
int webhook_sign(const char *secret, long long timestamp, const void *body, size_t len,
		 char out[WEBHOOK_SIGNATURE_HEX + 1]);

/*
 * POSTs one webhook item: the body as stored, with X-Baocao-Timestamp (now),
 * X-Baocao-Signature (sha256=HEX under the unit's secret, read now) and Idempotency-Key (id,
 * the payload's "id", the same on every attempt). No secret, or one that cannot be opened:
 * temporary (it goes once one is set). A URL no longer allowed: permanent.
 */
enum deliver_result webhook_send(PGconn *conn, const char *unit, const char *url,
				 const char *body, const char *id, time_t now, char **detail);

#endif
