/* A unit's webhook: which URLs may be POSTed to, and its signing secret, kept sealed in the
 * database under a key derived from the server's MAC key (data_dir), never shown again. */
#ifndef BAOCAO_UNIT_WEBHOOK_H
#define BAOCAO_UNIT_WEBHOOK_H

#include "audit.h"

#include <libpq-fe.h>
#include <stdbool.h>

/* The longest URL kept. */
#define UNIT_WEBHOOK_URL_MAX 2000
/* Bytes of a secret: at least 16, at most 256; a generated one has 32 (64 hex digits). */
#define UNIT_WEBHOOK_SECRET_MIN 16
#define UNIT_WEBHOOK_SECRET_MAX 256

/* Whether the server may POST to url: https://, or http:// to this machine only (127.0.0.1,
 * localhost, [::1]); the same rule for deliveries and webhooks. */
bool unit_push_url_allowed(const char *url);

/* Whether a secret can be used: 16 to 256 bytes, printable ASCII without blanks. */
bool unit_webhook_secret_valid(const char *secret);

/* A new secret: 64 random hex digits (new string). */
char *unit_webhook_secret_new(void);

/*
 * Seals the secret for the unit's row and stores it, in one transaction with an audit entry
 * "webhook_secret" (without the secret). mac is the server's MAC key. Returns 1 when stored,
 * 0 when there is no such unit, -1 with *err.
 */
int unit_webhook_secret_set(PGconn *conn, const char *code, const char *secret,
			    const unsigned char mac[32], const struct audit_who *who, char **err);

/*
 * The unit's secret, opened (new string). NULL with *err when the unit has none or when it
 * cannot be opened (sealed under another MAC key): *lasting is then true, trying again will
 * not help until an administrator sets one; or when the query failed (*lasting false).
 */
char *unit_webhook_secret(PGconn *conn, const char *code, const unsigned char mac[32],
			  bool *lasting, char **err);

#endif
