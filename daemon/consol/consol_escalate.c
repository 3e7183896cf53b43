/* Deliveries of a consolidated report that do not arrive: each final delivery failed, expired
 * or still unsent after CONSOL_ESCALATE_AFTER_S is marked once and its series' coordinators
 * are mailed what to do. */
#include "consolidation.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "outbox.h"
#include "outbox_queue.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The mail to the coordinators about a delivery that did not arrive: its period, recipient,
 * channel, state, last error, row and the public address. */
#define ESCALATION_BODY \
	"Báo cáo tổng hợp kỳ %s chưa đến được %s (kênh %s, trạng thái %s).\n" \
	"Lỗi gần nhất: %s\n\n" \
	"Hãy kiểm tra địa chỉ hoặc máy chủ nhận, rồi gửi lại bằng lệnh baocaoctl outbox " \
	"retry %s, hoặc gửi tệp cho đơn vị nhận bằng cách khác. Các bản đã gửi tải được " \
	"tại %s\n\nHệ thống baocao\n"

struct escalate_args {
	time_t now;
	int escalated, mails;
};

/* The body of consolidation_escalate: the rows are marked and the mails queued together,
 * once. */
static int escalate_tx(PGconn *conn, void *arg, char **err)
{
	struct escalate_args *ea = arg;
	char nowbuf[24], wait_s[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)ea->now);
	snprintf(wait_s, sizeof wait_s, "%d", CONSOL_ESCALATE_AFTER_S);
	const char *p[] = { nowbuf, wait_s };
	/* Each stuck row with each coordinator of its series (none: the row alone). */
	PGresult *r = db_run(conn, "consolidation",
		"WITH stuck AS (UPDATE outbox o SET escalated_at = to_timestamp($1::bigint) "
		"  WHERE o.kind = '" OUTBOX_KIND_FINAL_DELIVERY "' AND o.escalated_at IS NULL "
		"    AND o.channel <> 'webhook' "
		"    AND (o.state IN ('failed', 'expired') OR (o.state <> 'sent' "
		"      AND o.created_at < to_timestamp($1::bigint) - make_interval(secs => $2::int))) "
		"  RETURNING o.id, o.channel, " OUTBOX_RECIPIENT_SHOWN("o") " AS recipient, o.state, "
		"    coalesce(o.last_error, '') AS why, o.series, o.period) "
		"SELECT st.id, st.channel, st.recipient, st.state, st.why, st.period, se.title, "
		"  a.login, a.email "
		"FROM stuck st LEFT JOIN series se ON se.name = st.series "
		"  LEFT JOIN account a ON a.unit_id = se.consolidator_unit_id "
		"    AND a.role = 'coordinator' AND NOT a.disabled "
		"ORDER BY st.id, a.login", 2, p, err);
	if (r == NULL)
		return -1;
	const char *public_url = config_current()->public_url;
	size_t rows = (size_t)PQntuples(r), n = 0;
	struct outbox_message *m = xcalloc(rows ? rows : 1, sizeof *m);
	char **texts = xcalloc(2 * (rows ? rows : 1), sizeof *texts);
	for (size_t i = 0; i < rows; i++) {
		int row = (int)i;
		if (i == 0 || strcmp(PQgetvalue(r, row, 0), PQgetvalue(r, row - 1, 0)) != 0)
			ea->escalated++;
		if (PQgetisnull(r, row, 7))
			continue;
		const char *period = PQgetvalue(r, row, 5);
		texts[2 * n] = xasprintf("Chưa gửi được báo cáo tổng hợp: %s, kỳ %s",
					 PQgetvalue(r, row, 6), period);
		texts[2 * n + 1] = xasprintf(ESCALATION_BODY, period, PQgetvalue(r, row, 2),
					     PQgetvalue(r, row, 1), PQgetvalue(r, row, 3),
					     PQgetvalue(r, row, 4), PQgetvalue(r, row, 0),
					     public_url);
		m[n] = (struct outbox_message){
			.key = { .kind = OUTBOX_ESCALATION,
				 .stuck_row = atoll(PQgetvalue(r, row, 0)),
				 .login = PQgetvalue(r, row, 7) },
			.to = PQgetvalue(r, row, 8), .subject = texts[2 * n],
			.body = texts[2 * n + 1], .queued_at = ea->now,
		};
		n++;
	}
	int rc = outbox_queue(conn, m, n, &ea->mails, err);
	for (size_t i = 0; i < 2 * n; i++)
		free(texts[i]);
	free(texts);
	free(m);
	PQclear(r);
	return rc;
}

int consolidation_escalate(PGconn *conn, time_t now, int *escalated, char **err)
{
	struct escalate_args ea = { now, 0, 0 };
	if (db_tx(conn, escalate_tx, &ea, err) != 0)
		return -1;
	*escalated = ea.escalated;
	if (*escalated > 0)
		log_error("delivery", "%d deliveries of a consolidated report have not arrived; %d "
			  "mails to the coordinators queued (baocaoctl outbox --failed)", *escalated,
			  ea.mails);
	return 0;
}
