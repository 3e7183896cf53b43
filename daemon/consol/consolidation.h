/* The consolidated report's life in a period: the cut-off snapshot and its draft, the final
 * versions (approved, or automatic) and their delivery, and fetching any of them. */
#ifndef BAOCAO_CONSOLIDATION_H
#define BAOCAO_CONSOLIDATION_H

#include "consol.h"
#include "periods.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <time.h>

#define CONSOL_CONTENT_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

enum consolidation_result {
	CONSOLIDATION_OK,
	CONSOLIDATION_NONE,		/* no such version (yet) */
	CONSOLIDATION_REFUSED,		/* not now: *err is a Vietnamese sentence for the person */
	CONSOLIDATION_UNCHANGED,	/* nothing changed since the newest final: as REFUSED */
	CONSOLIDATION_FAILED,		/* database or writer failure: *err is English */
	CONSOLIDATION_INVALID,		/* the workbook is not well-formed (xlsxw_check): nothing
					 * kept, queued or given out; *err is English */
	CONSOLIDATION_NO_DOCUMENT,	/* require_consolidated_document and the version has no
					 * signed document: as REFUSED */
};

/* A workbook as kept or built. */
struct consolidation_file {
	unsigned char *data;
	size_t len;
	char *filename;			/* "tong-hop-nq57-weekly-2026-W50-ban-chinh-thuc-1.xlsx" */
	char sha256[65];
	int version;
	struct consol_totals totals;	/* when built here */
};
void consolidation_file_free(struct consolidation_file *f);

/*
 * The cut-off (job, at the unit deadline): freezes which submission of each expected unit
 * went in (its latest received by the deadline), keeps the draft workbook built from them,
 * marks the period cut off, and queues the draft to the consolidator's coordinators, all in
 * one transaction. Running it again finds the snapshot and does nothing. Returns 0 with
 * *outcome, or -1 with *err.
 */
int consolidation_cutoff(PGconn *conn, const struct period_info *pi, time_t now,
			 char **outcome, char **err);

/* Who approves; NULL for the automatic delivery. */
struct consolidation_approver {
	long long account_id;
	const char *login;
	const char *display_name;
	const char *remote_addr;
};

/*
 * A final version: built from each unit's current report, kept with its entries and SHA-256,
 * and queued to the recipients (mail, and [report] delivery_dir / delivery_url). With an
 * approver it is version n + 1 (after the first, a correction: "bổ sung"); without one (the
 * automatic delivery) nothing is done when a final exists. Returns OK with *file (its bytes
 * not read back: data NULL) and *queued, NONE when the automatic delivery found one already,
 * REFUSED (period not cut off yet, or skipped) or FAILED.
 */
enum consolidation_result consolidation_finalize(PGconn *conn, const struct period_info *pi,
						 time_t now,
						 const struct consolidation_approver *who,
						 struct consolidation_file *file, int *queued,
						 char **err);

/* A workbook of the period: LIVE built now; CUTOFF the draft kept; FINAL version n (0: the
 * newest). */
enum consolidation_result consolidation_get(PGconn *conn, const struct period_info *pi,
					    enum consol_edition edition, int version, time_t now,
					    struct consolidation_file *out, char **err);

/* The report's .docx draft (consol_draft.c) of the same edition: LIVE from each unit's current
 * report; CUTOFF and FINAL version n (0: the newest) from the entries kept with that workbook,
 * with its date, assessment and approval. OK with *out (filename "du-thao-bao-cao-...docx"),
 * NONE when there is no such edition (or the period is not stored), FAILED with *err. */
enum consolidation_result consolidation_draft(PGconn *conn, const struct period_info *pi,
					      enum consol_edition edition, int version,
					      time_t now, struct consolidation_file *out,
					      char **err);

/* A delivery not sent this long after it was queued is escalated. */
#define CONSOL_ESCALATE_AFTER_S (30 * 60)

/*
 * Deliveries of final versions that failed, expired, or are still not sent 30 minutes after
 * they were queued: each is marked escalated and the consolidator's coordinators are mailed
 * once about it (housekeeping, every minute). Returns 0 with *escalated, or -1 with *err.
 */
int consolidation_escalate(PGconn *conn, time_t now, int *escalated, char **err);

/* Builds a workbook of the period from the chosen entries (no database writes): 0, -1 with
 * *err, or CONSOL_INVALID with *err when the file is not well-formed (xlsxw_check). */
int consolidation_build(PGconn *conn, const struct period_info *pi,
			const struct consol_entries *e, const struct consol_meta *meta,
			struct consolidation_file *out, char **err);

#endif
