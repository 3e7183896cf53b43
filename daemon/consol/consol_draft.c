/* The consolidated report's .docx draft of a period: from the same entries and data as the
 * workbook of the edition asked for (live, the cut-off's, a final version's). */
#include "consolidation.h"
#include "db.h"
#include "docxw.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "du-thao-bao-cao-nq57-weekly-2026-W50-chinh-thuc-v2.docx" (new string). */
static char *draft_name(const struct period_info *pi, enum consol_edition edition, int version)
{
	const char *what = edition == CONSOL_LIVE ? "truc-tiep" :
			   edition == CONSOL_CUTOFF ? "khoa-so" : "chinh-thuc";
	if (edition == CONSOL_FINAL)
		return xasprintf("du-thao-bao-cao-%s-%s-%s-v%d.docx", pi->series->name, pi->id,
				 what, version);
	return xasprintf("du-thao-bao-cao-%s-%s-%s.docx", pi->series->name, pi->id, what);
}

/* The stored consolidation of an edition (version 0: the newest final): its id, and what the
 * document says of it in *meta (approved_by in *approver, to free). 1 when found, 0 when
 * not, -1 with *err. */
static int stored_meta(PGconn *conn, const struct period_info *pi, enum consol_edition edition,
		       int version, long long *id, struct consol_meta *meta, char **approver,
		       char **err)
{
	char period_id[24], v[16];
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	snprintf(v, sizeof v, "%d", edition == CONSOL_CUTOFF ? 1 : version);
	const char *p[] = { period_id, edition == CONSOL_CUTOFF ? "cutoff" : "final", v };
	PGresult *r = db_run(conn, "draft",
		"SELECT c.id, c.version, extract(epoch FROM c.built_at)::bigint, "
		"  coalesce(c.assessment_id, 0), nullif(coalesce(nullif(a.display_name, ''), a.login), ''), "
		"  coalesce(extract(epoch FROM c.approved_at)::bigint, 0), c.automatic "
		"FROM consolidation c LEFT JOIN account a ON a.id = c.approved_by "
		"WHERE c.period_id = $1::bigint AND c.kind = $2 "
		"  AND ($3::int = 0 OR c.version = $3::int) ORDER BY c.version DESC LIMIT 1",
		3, p, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	*id = atoll(PQgetvalue(r, 0, 0));
	*approver = PQgetisnull(r, 0, 4) ? NULL : xstrdup(PQgetvalue(r, 0, 4));
	*meta = (struct consol_meta){
		.edition = edition,
		.version = atoi(PQgetvalue(r, 0, 1)),
		.built_at = (time_t)atoll(PQgetvalue(r, 0, 2)),
		.created = (time_t)atoll(PQgetvalue(r, 0, 2)),
		.assessment_id = atoll(PQgetvalue(r, 0, 3)),
		.approved_by = *approver,
		.approved_at = (time_t)atoll(PQgetvalue(r, 0, 5)),
		.automatic = strcmp(PQgetvalue(r, 0, 6), "t") == 0,
	};
	PQclear(r);
	return 1;
}

enum consolidation_result consolidation_draft(PGconn *conn, const struct period_info *pi,
					      enum consol_edition edition, int version,
					      time_t now, struct consolidation_file *out,
					      char **err)
{
	memset(out, 0, sizeof *out);
	if (pi->db_id <= 0)
		return CONSOLIDATION_NONE;
	struct consol_meta meta = { .edition = CONSOL_LIVE, .built_at = now, .created = now };
	struct consol_entries e;
	char *approver = NULL;
	int rc;
	if (edition == CONSOL_LIVE) {
		rc = consol_entries_load(conn, pi->db_id, CONSOL_FROM_NOW, 0, &e, err);
	} else {
		long long id = 0;
		int found = stored_meta(conn, pi, edition, version, &id, &meta, &approver, err);
		if (found <= 0)
			return found == 0 ? CONSOLIDATION_NONE : CONSOLIDATION_FAILED;
		rc = consol_entries_load(conn, 0, CONSOL_FROM_STORED, id, &e, err);
	}
	if (rc != 0) {
		free(approver);
		return CONSOLIDATION_FAILED;
	}
	struct consol_doc doc;
	struct consol_feed *feed;
	rc = consol_load(conn, pi, &e, &meta, &doc, &feed, err);
	consol_entries_free(&e);
	free(approver);
	if (rc != 0)
		return CONSOLIDATION_FAILED;
	struct consol_batches batches;
	consol_feed_batches(feed, &batches);
	consol_totals(&doc, &out->totals);
	rc = consol_write_docx_batched(&doc, &batches, &out->data, &out->len, err);
	consol_feed_free(feed);
	consol_doc_free(&doc);
	if (rc != 0)
		return CONSOLIDATION_FAILED;
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, out->data, out->len);
	sodium_bin2hex(out->sha256, sizeof out->sha256, digest, sizeof digest);
	out->filename = draft_name(pi, edition, meta.version);
	out->version = meta.version;
	return CONSOLIDATION_OK;
}
