/* The one way into the outbox: what a message is (its kind), what makes it the same message
 * when queued twice (its key, whose text is made here only), and where, when and until when it
 * goes. The parts of the key that are looked for are kept in columns of their own. A unit's
 * reminder, return or delivery also queues the unit's webhook item when it has a webhook. */
#ifndef BAOCAO_OUTBOX_QUEUE_H
#define BAOCAO_OUTBOX_QUEUE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The kinds as stored in outbox.kind, for the queries that look for one. */
#define OUTBOX_KIND_RECEIPT "receipt"
#define OUTBOX_KIND_REMINDER "reminder"
#define OUTBOX_KIND_REMINDER_DIGEST "reminder_digest"
#define OUTBOX_KIND_DRAFT_NOTICE "draft_notice"
#define OUTBOX_KIND_FINAL_DELIVERY "final_delivery"
#define OUTBOX_KIND_ESCALATION "escalation"
#define OUTBOX_KIND_REVIEW_RETURN "review_return"
#define OUTBOX_KIND_ACK_OVERDUE "ack_overdue"
#define OUTBOX_KIND_EXTENSION "extension"

/* What a queued message is; each kind's key and the parts it has. */
enum outbox_kind {
	OUTBOX_RECEIPT,		/* a report was received: receipt:SUBMISSION */
	OUTBOX_REMINDER,	/* to a missing unit: reminder:SERIES:PERIOD:ROUND:UNIT:ADDRESS */
	OUTBOX_REMINDER_DIGEST,	/* the missing units, to a coordinator:
				   reminder-digest:SERIES:PERIOD:ROUND:LOGIN */
	OUTBOX_DRAFT_NOTICE,	/* the cut-off's draft, to a coordinator: cutoff:SERIES:PERIOD:LOGIN */
	OUTBOX_FINAL_DELIVERY,	/* a final version: final:SERIES:PERIOD:vVERSION:mail:ADDRESS,
				   or final:SERIES:PERIOD:vVERSION:folder (or :http) */
	OUTBOX_ESCALATION,	/* a delivery that did not arrive, to a coordinator:
				   escalation:ROW:LOGIN */
	OUTBOX_REVIEW_RETURN,	/* a report returned to its unit:
				   returned:SERIES:PERIOD:UNIT:SUBMISSION:ADDRESS */
	OUTBOX_ACK_OVERDUE,	/* a delivered version nobody acknowledged by ack_by, to a
				   coordinator: ack-overdue:SERIES:PERIOD:vVERSION:LOGIN */
	OUTBOX_EXTENSION,	/* an extension granted or taken back, to the unit, and the
				   reminders that follow it: extension:SERIES:PERIOD:UNIT:ROUND:
				   TIME:ADDRESS (ROUND "grant", "revoke", a reminder rule or "late";
				   TIME asked_at: when granted, taken back, or the extended deadline) */
};

/* How a message goes: mail, or (final deliveries only) a file into a folder or to a URL; a
 * webhook item is made by outbox_queue only. */
enum outbox_channel { OUTBOX_MAIL, OUTBOX_FOLDER, OUTBOX_HTTP, OUTBOX_WEBHOOK };

/* A message's key, by its parts; which parts a kind has is said at enum outbox_kind. */
struct outbox_key {
	enum outbox_kind kind;
	const char *series, *period;	/* series name, period key */
	/* Reminders and digests: the round ("-1d 15:00", "late"); for a round asked for by
	 * hand, asked_at is its time (ROUND is "manual:TIME") and round is not read. */
	const char *round;
	time_t asked_at;
	int version;			/* final deliveries, ack-overdue mails */
	enum outbox_channel channel;	/* final deliveries; mail for every other kind */
	long long submission;		/* receipts, review returns */
	long long stuck_row;		/* escalations: the outbox row that did not arrive */
	const char *unit;		/* reminders, review returns, extensions: the unit's code; a
					   final mail: the recipient unit (read for its webhook only) */
	const char *login;		/* digests, draft notices, escalations, ack-overdue mails:
					   the coordinator */
	const char *address;		/* reminders, review returns, final mails: the address */
};

/* One message to queue. */
struct outbox_message {
	struct outbox_key key;
	const char *to;		/* the address, folder or URL; NULL: to_account's address */
	long long to_account;	/* when to is NULL: the account whose address it goes to (no such
				   account: nothing is queued) */
	const char *subject;
	const char *body;	/* NULL: none */
	long long attachment;	/* a mail_attachment row, 0: none */
	time_t queued_at;	/* when it is queued, and first due */
	time_t expires_at;	/* its business deadline, 0: none */
	bool webhook_only;	/* no mail: only key.unit's webhook item (when it has one) */
};

/* The text of a key, as stored in outbox.dedup_key (new string). */
char *outbox_key_text(const struct outbox_key *k);

/*
 * Queues n messages in one statement, inside the caller's transaction if any; a message whose
 * key is already in the outbox is left as it is. A message to a unit (key.unit set, a kind
 * about a period: reminders, returns, final deliveries, any later kind that names the unit)
 * also queues, in a second statement, one webhook item for the unit
 * when it has a webhook: channel "webhook", the same kind, series, period and expiry, the key
 * of webhook_key() (once for all the unit's addresses), the payload as its body and its "id"
 * the row's Message-ID. Adds the mails queued to *queued (may be NULL; webhook items are not
 * counted). Returns 0, or -1 with *err.
 */
int outbox_queue(PGconn *conn, const struct outbox_message *m, size_t n, int *queued,
		 char **err);

/* Queues m to every address a unit is written to about its reports (units_report_addresses():
 * key.address and to set to each; key.unit names the unit), and to its webhook even without
 * an address, through outbox_queue(). Returns 0, or -1 with *err. */
int outbox_queue_to_unit(PGconn *conn, const struct outbox_message *m, int *queued, char **err);

#endif
