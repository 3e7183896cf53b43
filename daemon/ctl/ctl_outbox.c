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

/* "2026-11-27 10:59" from "2026-11-27T10:59:59+07:00" (the session's time zone). */
static void minute(const char *iso, char out[17])
{
	snprintf(out, 17, "%.16s", iso);
	if (out[10] == 'T')
		out[10] = ' ';
}

/* The text with its line breaks and tabs as spaces, for one line of a table (in place). */
static char *one_line(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	return s;
}

/* baocaoctl outbox [--failed]: one line per message, newest first. */
static int outbox_list_cmd(struct ctl *ctl, bool failed_only)
{
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	char *err = NULL;
	PGresult *r = outbox_list(db, failed_only, &err);
	if (r == NULL) {
		fprintf(stderr, "error: cannot read the outbox: %s\n", err);
		free(err);
		return CTL_INTERNAL;
	}
	if (PQntuples(r) == 0)
		printf(failed_only ? "no failed messages\n" : "the outbox is empty\n");
	else
		printf("%-6s %-9s %-4s %-16s %-16s %-32s %s\n", "ID", "STATE", "TRY", "QUEUED",
		       "NEXT TRY", "TO", "KEY / LAST ERROR");
	for (int i = 0; i < PQntuples(r); i++) {
		char queued[17], next[17];
		minute(PQgetvalue(r, i, 3), queued);
		if (PQgetisnull(r, i, 4))
			snprintf(next, sizeof next, "-");
		else
			minute(PQgetvalue(r, i, 4), next);
		printf("%-6s %-9s %-4s %-16s %-16s %-32s %s", PQgetvalue(r, i, 0),
		       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), queued, next,
		       PQgetvalue(r, i, 5), PQgetvalue(r, i, 8));
		if (PQgetvalue(r, i, 7)[0])
			printf("  %s", one_line(PQgetvalue(r, i, 7)));
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
		return outbox_list_cmd(ctl, false);
	if (argc == 2 && strcmp(argv[1], "--failed") == 0)
		return outbox_list_cmd(ctl, true);
	if (argc == 3 && strcmp(argv[1], "retry") == 0)
		return outbox_retry_cmd(ctl, argv[2]);
	fputs(OUTBOX_USAGE, stderr);
	return CTL_USER;
}
