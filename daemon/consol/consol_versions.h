/* The consolidated versions as people read them: a period's final versions with their
 * deliveries, a series' delivered reports, and the coordinators' assessments. */
#ifndef BAOCAO_CONSOL_VERSIONS_H
#define BAOCAO_CONSOL_VERSIONS_H

#include <libpq-fe.h>
#include <time.h>

/* Each returns the rows named, or NULL with *err ("<what>: <PostgreSQL's message>"). */

/* A stored period's final versions, oldest first: version, built_at (RFC 3339), sha256
 * (hex), automatic, approved_by (name or login; NULL), approved_at, deliveries (a JSON
 * array). With unit_id 0 every delivery (channel, recipient shown, state, sent_at,
 * last_error); otherwise only the mails to that unit's addresses (channel, recipient,
 * delivered, sent_at). */
PGresult *consol_versions(PGconn *conn, long long period_id, const char *series,
			  const char *period_key, long long unit_id, char **err);
/* The final versions of a series' last limit periods that have one, newest period and
 * version first: period_key, starts_on, ends_on, version, released_at (RFC 3339), automatic,
 * sha256 (hex), filename. */
PGresult *consol_deliveries(PGconn *conn, const char *series, int limit, char **err);
/* Stores a new assessment of a stored period by an account: its id, or -1 with *err. */
long long consol_assessment_add(PGconn *conn, long long period_id, const char *text,
				long long account_id, time_t at, char **err);
/* A period's assessments, newest first (at most 50): id, body, login ("" when none),
 * written_at (RFC 3339). */
PGresult *consol_assessments(PGconn *conn, long long period_id, char **err);

#endif
