/* baocaoctl outbox: the messages waiting, sent or failed, and sending one again. */
#include "clock.h"
#include "ctl.h"
#include "outbox.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTBOX_USAGE "usage: baocaoctl outbox [--failed]\n       baocaoctl outbox retry ID\n"
#define OUTBOX_LIST_MAX 200	/* rows listed, newest first */

/* baocaoctl outbox [--failed]: one line per message, newest first. */
static int outbox_list(struct ctl *ctl, bool failed_only)
{
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	char max[16];
	snprintf(max, sizeof max, "%d", OUTBOX_LIST_MAX);
	const char *p[] = { failed_only ? "t" : "f", max };
	PGresult *r = ctl_query(db,
		"SELECT id, state, attempts, to_char(created_at, 'YYYY-MM-DD HH24:MI'), "
		"  coalesce(to_char(CASE WHEN state IN ('queued', 'deferred', 'unknown') "
		"    THEN next_attempt_at END, 'YYYY-MM-DD HH24:MI'), '-'), recipient, dedup_key, "
		"  coalesce(translate(last_error, E'\\r\\n\\t', '   '), '') "
		"FROM outbox WHERE NOT $1::boolean OR state IN ('failed', 'expired', 'unknown') "
		"ORDER BY id DESC LIMIT $2::int", 2, p);
	if (r == NULL)
		return CTL_INTERNAL;
	if (PQntuples(r) == 0)
		printf(failed_only ? "no failed messages\n" : "the outbox is empty\n");
	else
		printf("%-6s %-9s %-4s %-16s %-16s %-32s %s\n", "ID", "STATE", "TRY", "QUEUED",
		       "NEXT TRY", "TO", "KEY / LAST ERROR");
	for (int i = 0; i < PQntuples(r); i++) {
		printf("%-6s %-9s %-4s %-16s %-16s %-32s %s", PQgetvalue(r, i, 0),
		       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
		       PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6));
		if (PQgetvalue(r, i, 7)[0])
			printf("  %s", PQgetvalue(r, i, 7));
		printf("\n");
	}
	PQclear(r);
	return CTL_OK;
}

/* baocaoctl outbox retry ID: queues a message again, now, with no expiry. */
static int outbox_retry_cmd(struct ctl *ctl, const char *id)
{
	if (!ctl_id_valid(id, "message", "baocaoctl outbox"))
		return CTL_USER;
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	struct audit_who who = { 0, ctl_actor(), NULL };
	char *err = NULL;
	int done = outbox_retry(db, atoll(id), clock_now(), false, &who, &err);
	if (done < 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return CTL_INTERNAL;
	}
	if (done == 0) {
		fprintf(stderr, "error: no message %s, or it is being sent right now; see baocaoctl "
			"outbox\n", id);
		return CTL_USER;
	}
	printf("message %s queued again; a running daemon sends it within seconds\n", id);
	return CTL_OK;
}

/* baocaoctl outbox [--failed] | outbox retry ID */
int ctl_outbox(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 1)
		return outbox_list(ctl, false);
	if (argc == 2 && strcmp(argv[1], "--failed") == 0)
		return outbox_list(ctl, true);
	if (argc == 3 && strcmp(argv[1], "retry") == 0)
		return outbox_retry_cmd(ctl, argv[2]);
	fputs(OUTBOX_USAGE, stderr);
	return CTL_USER;
}
