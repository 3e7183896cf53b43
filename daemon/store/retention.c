/* The retention of raw uploads: removing the raw files of old versions and the documents no
 * version in force names, keeping their data. */
#include "retention.h"
#include "db.h"

#include <stdio.h>
#include <stdlib.h>

#define RETENTION_BATCH 100		/* rows per statement: short transactions and locks */
#define RETENTION_BATCHES 20		/* statements per call; the next round does the rest */

/* Removes the raw files of old versions in batches; returns how many or -1. */
long long retention_run(PGconn *conn, time_t now, long long retention_ms, char **err)
{
	if (retention_ms <= 0)
		return 0;
	char before[24], nowbuf[24], batch[16];
	snprintf(before, sizeof before, "%lld", (long long)now - retention_ms / 1000);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(batch, sizeof batch, "%d", RETENTION_BATCH);
	const char *p[] = { before, nowbuf, batch };
	long long removed = 0;
	for (int i = 0; i < RETENTION_BATCHES; i++) {
		/* SKIP LOCKED: a version an upload or a consolidation is working with waits for
		 * the next round. */
		PGresult *r = db_run(conn, "raw file retention",
		       "WITH old AS (SELECT s.id FROM submission s "
		       "  WHERE s.superseded AND s.file IS NOT NULL "
		       "    AND s.received_at < to_timestamp($1::bigint) "
		       "    AND NOT EXISTS (SELECT 1 FROM consolidation_entry e "
		       "                    WHERE e.submission_id = s.id) "
		       "  ORDER BY s.received_at LIMIT $3::integer FOR UPDATE OF s SKIP LOCKED) "
		       "UPDATE submission s SET file = NULL, "
		       "  file_removed_at = to_timestamp($2::bigint) "
		       "FROM old WHERE s.id = old.id", 3, p, err);
		if (r == NULL)
			return -1;
		long long n = atoll(PQcmdTuples(r));
		PQclear(r);
		removed += n;
		if (n < RETENTION_BATCH)
			break;
	}
	/* The documents no version in force names (replaced, or of superseded versions only),
	 * and no version in a consolidated report. */
	for (int i = 0; i < RETENTION_BATCHES; i++) {
		PGresult *r = db_run(conn, "raw file retention",
		       "WITH old AS (SELECT d.id FROM submission_document d "
		       "  WHERE d.file IS NOT NULL AND d.uploaded_at < to_timestamp($1::bigint) "
		       "    AND NOT EXISTS (SELECT 1 FROM submission s WHERE s.document_id = d.id "
		       "      AND (NOT s.superseded OR EXISTS (SELECT 1 FROM consolidation_entry e "
		       "                                       WHERE e.submission_id = s.id))) "
		       "  ORDER BY d.uploaded_at LIMIT $3::integer FOR UPDATE OF d SKIP LOCKED) "
		       "UPDATE submission_document d SET file = NULL, "
		       "  file_removed_at = to_timestamp($2::bigint) "
		       "FROM old WHERE d.id = old.id", 3, p, err);
		if (r == NULL)
			return -1;
		long long n = atoll(PQcmdTuples(r));
		PQclear(r);
		removed += n;
		if (n < RETENTION_BATCH)
			break;
	}
	return removed;
}
