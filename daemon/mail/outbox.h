/* The outbox's sender: claims due messages under a lease, sends them (SMTP, or .eml files in
 * the spool when no server is set), and records each outcome, with retries and expiry. */
#ifndef BAOCAO_OUTBOX_H
#define BAOCAO_OUTBOX_H

#include "audit.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

/* SQL: an outbox row's recipient as it may be shown (a delivery or webhook URL without its
 * user, password, query and fragment); ROW names the row. */
#define OUTBOX_RECIPIENT_SHOWN(ROW) \
	"CASE WHEN " ROW ".channel IN ('http', 'webhook') THEN regexp_replace(regexp_replace(" ROW ".recipient, " \
	"'^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@', '\\1'), '[?#].*$', '') ELSE " ROW ".recipient END"

/* Messages claimed in one round. */
#define OUTBOX_BATCH_SIZE 50

/*
 * One round: messages whose lease ran out mid-send become "unknown" (sent again with the same
 * Message-ID), those past their expiry "expired"; then up to 50 due messages are claimed for
 * instance (a lease of 5 minutes), sent, and each recorded as sent, deferred (a 4xx answer or
 * a transport error: next try after clamp(age, 5 min, 1 h)) or failed (a 5xx answer). Returns
 * how many were claimed, or -1 with *err on a database failure.
 */
int outbox_run(PGconn *conn, const char *instance, char **err);
/* The outbox as people read it (the admin page, baocaoctl outbox): at most OUTBOX_LIST_MAX
 * messages, newest first, every one or only the failed, expired and unknown. Columns: id,
 * state, attempts, created_at, next_attempt_at (NULL unless waiting), recipient, subject,
 * last_error ("" when none), dedup_key, channel (mail, folder, http, webhook); a URL's
 * user, password, query and fragment are left out; times in RFC 3339 in the session's time zone
 * (server.time_zone), e.g. "2026-11-27T10:59:59+07:00". NULL with *err. */
#define OUTBOX_LIST_MAX 200
PGresult *outbox_list(PGconn *conn, bool stopped_only, char **err);
/* Messages failed or expired in the last 7 days by now (for /readyz); -1 with *err. */
long long outbox_failed_count(PGconn *conn, long long now, char **err);
/* Deliveries of consolidated reports that were escalated to the coordinators and are still
 * not sent (for /readyz; not the webhook items, notices only); -1 with *err. */
long long outbox_deliveries_stuck(PGconn *conn, char **err);
/*
 * Queues a message again, due at now, with no expiry, in one transaction with an audit entry
 * "retry"; never one being sent. stopped_only: only a failed, expired or unknown one. Returns
 * 1 when queued, 0 when there is no such message (or it may not be retried), -1 with *err.
 */
int outbox_retry(PGconn *conn, long long id, time_t now, bool stopped_only,
		 const struct audit_who *who, char **err);

#endif
