/* The recipients' acknowledgement of a delivered consolidated version ("Đã tiếp nhận"), the
 * mail to the coordinators when none came by the series' ack_by, and whether the consolidating
 * unit delivered its report by the consolidation deadline. */
#ifndef BAOCAO_CONSOL_ACK_H
#define BAOCAO_CONSOL_ACK_H

#include "periods.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

enum consol_ack_result {
	CONSOL_ACK_DONE,		/* acknowledged now */
	CONSOL_ACK_BEFORE,		/* acknowledged before: the first acknowledgement kept */
	CONSOL_ACK_NOT_DELIVERED,	/* no final version n queued to the recipients */
	CONSOL_ACK_FAILED,		/* database failure: *err is English */
};

/* Who acknowledges: a recipient account. */
struct consol_acker {
	long long account_id;
	const char *login;
	const char *remote_addr;
};

/* The acknowledgement of a version as kept: times in RFC 3339, names for people. */
struct consol_ack_info {
	char acknowledged_at[40];
	char *acknowledged_by;		/* display name, else login */
	char *unit;			/* the acknowledging account's unit name */
	int delivered;			/* the newest version delivered (0: none), for messages */
};
void consol_ack_info_free(struct consol_ack_info *a);

/*
 * Marks final version n of the period received by who, once: the first acknowledgement is
 * kept and audited (consolidated_ack); another answers BEFORE with the first. A version that
 * was not queued to the recipients answers NOT_DELIVERED. *out is filled for DONE and BEFORE
 * (and its delivered for NOT_DELIVERED).
 */
enum consol_ack_result consol_ack(PGconn *conn, const struct period_info *pi, int version,
				  const struct consol_acker *who, time_t now,
				  struct consol_ack_info *out, char **err);

/*
 * The ack_by check (job): when the newest final version of the period was delivered and no
 * recipient has acknowledged it, each coordinator of the consolidating unit gets one mail
 * saying so (its key makes a second pass queue nothing). Returns 0 with *outcome, or -1 with
 * *err.
 */
int consol_ack_overdue(PGconn *conn, const struct period_info *pi, time_t now, char **outcome,
		       char **err);

/* The consolidating unit's delivery of a period: its code and name, the deadline, when the
 * first final version was delivered and whether on time (one row; delivered_at and on_time
 * NULL when none was). */
PGresult *consol_delivery_state(PGconn *conn, long long period_id, char **err);

/* The consolidating unit's timeliness in the periods of the timeliness table (those whose
 * units' deadline passed, the last limit, oldest first): period key, 'on_time', 'late',
 * 'missing' (nothing delivered, the consolidation deadline passed) or NULL (not due yet), and
 * when the first final version was delivered, and the consolidating unit's name. */
PGresult *consol_punctuality(PGconn *conn, const char *series, time_t now, int limit,
			     char **err);

#endif
