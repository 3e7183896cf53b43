/* The table of HTTP routes and the small handlers of the service itself. */
#include "api.h"
#include "authz.h"
#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "http_forwarded.h"
#include "json.h"
#include "log.h"
#include "prom.h"
#include "migrate.h"
#include "netaddr.h"
#include "outbox.h"
#include "spacewatch.h"
#include "static.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GET /healthz: the process is alive and its loop answers. */
static void handle_healthz(struct http_request *rq, struct http_response *rs,
			   const struct api_ctx *cx)
{
	http_json(rs, 200);
	strbuf_adds(&rs->body, "{\"status\":\"ok\"}");
}

/* One field of /readyz's privileged part: appends ,"name":value to body, or nothing when
 * there is nothing to say (conn is NULL without a database connection). */
typedef void (*readyz_field)(struct strbuf *body, PGconn *conn);

/* Mail that will not go by itself: a person must look (baocaoctl outbox --failed). */
static void readyz_outbox_failed(struct strbuf *body, PGconn *conn)
{
	char *why = NULL;
	long long failed = conn ? outbox_failed_count(conn, (long long)clock_now(), &why) : 0;
	free(why);
	if (failed > 0)
		strbuf_addf(body, ",\"outbox_failed\":%lld", failed);
}

/* A consolidated report that has not reached its recipients: the coordinators were mailed;
 * the operators see it here. */
static void readyz_deliveries_stuck(struct strbuf *body, PGconn *conn)
{
	char *why = NULL;
	long long stuck = conn ? outbox_deliveries_stuck(conn, &why) : 0;
	free(why);
	if (stuck > 0)
		strbuf_addf(body, ",\"deliveries_not_arrived\":%lld", stuck);
}

/* Disks and the database past their limits (spacewatch.c). */
static void readyz_storage(struct strbuf *body, PGconn *conn)
{
	(void)conn;	/* measured by the housekeeping round */
	spacewatch_json(body);
}

/* X-Forwarded-For from a peer not in trusted_proxies: all clients may be counted as one. */
static void readyz_forwarded(struct strbuf *body, PGconn *conn)
{
	(void)conn;
	http_forwarded_readyz(body);
}

/* A test installation says so wherever it is watched. */
static void readyz_clock_control(struct strbuf *body, PGconn *conn)
{
	(void)conn;	/* the clock is the process's */
	if (!config_current()->clock_control)
		return;
	char now[40];
	if (cal_format_rfc3339(clock_now(), now, sizeof now) != 0)
		snprintf(now, sizeof now, "?");
	strbuf_addf(body, ",\"warning\":\"clock_control is on: the clock may be moved by an "
		    "administrator\",\"now\":\"%s\"", now);
}

/* What only operators see (an admin, or a client of server.readyz_trusted), in order. */
static const readyz_field readyz_privileged[] = {
	readyz_outbox_failed,
	readyz_storage,
	readyz_forwarded,
	readyz_deliveries_stuck,
	readyz_clock_control,
};

/* Whether the caller may see the privileged part: a client address of readyz_trusted (one
 * forwarded only by a peer of trusted_proxies: from any other, the peer may be a proxy
 * carrying anybody's request), or an admin. */
static bool readyz_privileged_caller(const struct http_request *rq, struct db *db)
{
	const struct config *cfg = config_current();
	if (!rq->forwarded_untrusted && netaddr_list_match(cfg->readyz_trusted, rq->remote_addr))
		return true;
	struct principal who;
	return api_identify(rq, db, &who) &&
	       authz_may(&who, ACT_ADMIN, NULL, NULL) == AUTHZ_ALLOW;
}

/* GET /readyz: 200 with the schema version when the database answers and has the schema, 503
 * with the reason when not; operators also get the counts that need a person. */
static void handle_readyz(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx)
{
	struct db *db = cx->db;
	char version[24];
	int rc = migrate_version(db, version, sizeof version);
	if (rc != 0 && (db_connection_lost(db) || db_conn(db) == NULL)) {
		http_error(rs, 503, "database_unavailable",
			   "Cơ sở dữ liệu chưa sẵn sàng. Quản trị viên cần kiểm tra máy chủ "
			   "PostgreSQL; hệ thống sẽ tự kết nối lại.");
		return;
	}
	if (rc != 0) {
		http_error(rs, 503, "schema_missing",
			   "Cơ sở dữ liệu chưa được khởi tạo. Quản trị viên cần chạy lệnh "
			   "baocaoctl migrate.");
		return;
	}
	http_json(rs, 200);
	strbuf_addf(&rs->body, "{\"status\":\"ready\",\"schema_version\":%s", version);
	if (readyz_privileged_caller(rq, db)) {
		PGconn *conn = db_conn(db);
		for (size_t i = 0; i < nitems(readyz_privileged); i++)
			readyz_privileged[i](&rs->body, conn);
	}
	strbuf_addc(&rs->body, '}');
}

/* GET /metrics: the figures to watch (api_metrics.c), for a metrics_allow address or an
 * admin (the gate). */
static void handle_metrics(struct http_request *rq, struct http_response *rs,
			   const struct api_ctx *cx)
{
	rs->status = 200;
	rs->content_type = PROM_CONTENT_TYPE;
	api_metrics_write(&rs->body, cx->db, api_routes, rq->received_at);
}

/* GET / and /{file}: the web pages, from memory (static.c). */
static void handle_static(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx)
{
	static_serve(rq, rs, NULL);
}

/* Every route names its action; authz.c's table decides who may do it. */
const struct route api_routes[] = {
	{ "GET", "/healthz", ROUTE_FN(handle_healthz), ACT_PUBLIC, ROUTE_INLINE },
	{ "GET", "/readyz", ROUTE_FN(handle_readyz), ACT_PUBLIC, ROUTE_NO_DATABASE },
	{ "GET", "/metrics", ROUTE_FN(handle_metrics), ACT_METRICS, ROUTE_NO_DATABASE },
	{ "GET", "/api/v1/series/{series}/periods/{period}", ROUTE_FN(api_period_get),
	  ACT_PUBLIC, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/template", ROUTE_FN(api_template_get),
	  ACT_REPORT_READ, 0 },
	{ "POST", "/api/v1/series/{series}/periods/{period}/remind", ROUTE_FN(api_period_remind),
	  ACT_REMIND, 0 },
	{ "PUT", "/api/v1/series/{series}/periods/{period}/submission",
	  ROUTE_FN(api_submission_put), ACT_REPORT_WRITE, ROUTE_UPLOAD },
	{ "GET", "/api/v1/series/{series}/periods/{period}/submission",
	  ROUTE_FN(api_submission_get), ACT_REPORT_VIEW, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/submission/file",
	  ROUTE_FN(api_submission_file), ACT_REPORT_VIEW, 0 },
	{ "PUT", "/api/v1/series/{series}/periods/{period}/submission/document",
	  ROUTE_FN(api_document_put), ACT_REPORT_WRITE, ROUTE_DOCUMENT },
	{ "GET", "/api/v1/series/{series}/periods/{period}/submission/document",
	  ROUTE_FN(api_document_get), ACT_REPORT_VIEW, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/documents",
	  ROUTE_FN(api_documents_list), ACT_BOARD_READ, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/status", ROUTE_FN(api_period_status),
	  ACT_BOARD_READ, 0 },
	{ "PUT", "/api/v1/series/{series}/periods/{period}/review", ROUTE_FN(api_review_put),
	  ACT_REVIEW, ROUTE_TEXT },
	{ "PUT", "/api/v1/series/{series}/periods/{period}/extension",
	  ROUTE_FN(api_extension_put), ACT_EXTEND, ROUTE_TEXT },
	{ "DELETE", "/api/v1/series/{series}/periods/{period}/extension",
	  ROUTE_FN(api_extension_delete), ACT_EXTEND, 0 },
	{ "POST", "/api/v1/series/{series}/periods/{period}/review", ROUTE_FN(api_review_bulk),
	  ACT_REVIEW, ROUTE_TEXT },
	{ "GET", "/api/v1/series/{series}/periods/{period}/timeline",
	  ROUTE_FN(api_timeline_get), ACT_TIMELINE_READ, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/assessment",
	  ROUTE_FN(api_assessment_get), ACT_CONSOLIDATE, 0 },
	{ "PUT", "/api/v1/series/{series}/periods/{period}/assessment",
	  ROUTE_FN(api_assessment_put), ACT_CONSOLIDATE, ROUTE_TEXT },
	{ "POST", "/api/v1/series/{series}/periods/{period}/approve", ROUTE_FN(api_approve_post),
	  ACT_CONSOLIDATE, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/consolidated",
	  ROUTE_FN(api_consolidated_get), ACT_DELIVERED_READ, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/consolidated/draft",
	  ROUTE_FN(api_consolidated_draft), ACT_DELIVERED_READ, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/consolidated/versions",
	  ROUTE_FN(api_consolidated_versions), ACT_DELIVERED_READ, 0 },
	{ "POST", "/api/v1/series/{series}/periods/{period}/consolidated/ack",
	  ROUTE_FN(api_consolidated_ack), ACT_ACKNOWLEDGE, 0 },
	{ "PUT", "/api/v1/series/{series}/periods/{period}/consolidated/document",
	  ROUTE_FN(api_consol_document_put), ACT_CONSOL_DOCUMENT, ROUTE_DOCUMENT },
	{ "GET", "/api/v1/series/{series}/periods/{period}/consolidated/document",
	  ROUTE_FN(api_consol_document_get), ACT_CONSOL_DOCUMENT_READ, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/consolidated/documents",
	  ROUTE_FN(api_consol_documents_get), ACT_CONSOL_DOCUMENT_READ, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/remind/preview",
	  ROUTE_FN(api_remind_preview), ACT_REMIND, 0 },
	{ "GET", "/api/v1/series/{series}/timeliness", ROUTE_FN(api_timeliness_get),
	  ACT_CONSOLIDATE, 0 },
	{ "GET", "/api/v1/series/{series}/deliveries", ROUTE_FN(api_deliveries_get),
	  ACT_DELIVERED_READ, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/submissions",
	  ROUTE_FN(api_submission_list), ACT_REPORT_READ, 0 },
	{ "GET", "/api/v1/series/{series}/periods/{period}/tasks", ROUTE_FN(api_tasks_get),
	  ACT_REPORT_READ, 0 },
	{ "PUT", "/api/v1/submissions", ROUTE_FN(api_submission_found_put), ACT_REPORT_SEND,
	  ROUTE_UPLOAD },
	{ "GET", "/api/v1/receipts/public-key", ROUTE_FN(api_receipt_key), ACT_PUBLIC,
	  ROUTE_INLINE },
	{ "POST", "/api/v1/session", ROUTE_FN(api_session_create), ACT_PUBLIC, ROUTE_PASSWORD },
	{ "GET", "/api/v1/session", ROUTE_FN(api_session_get), ACT_SIGNED_IN, 0 },
	{ "DELETE", "/api/v1/session", ROUTE_FN(api_session_delete), ACT_PUBLIC, 0 },
	{ "PUT", "/api/v1/testing/clock", ROUTE_FN(api_testing_clock_put), ACT_ADMIN, 0 },
	{ "GET", "/api/v1/me", ROUTE_FN(api_me_get), ACT_SIGNED_IN, 0 },
	{ "PUT", "/api/v1/account/password", ROUTE_FN(api_account_password_put), ACT_SIGNED_IN,
	  ROUTE_PASSWORD },
	{ "GET", "/api/v1/account/tokens", ROUTE_FN(api_account_tokens_get), ACT_SIGNED_IN, 0 },
	{ "POST", "/api/v1/account/tokens/revoke", ROUTE_FN(api_account_tokens_revoke),
	  ACT_SIGNED_IN, 0 },
	/* The administrators' pages (admin.html): what baocaoctl does, audited by login. */
	{ "GET", "/api/v1/admin/units", ROUTE_FN(api_admin_units_get), ACT_ADMIN, 0 },
	{ "PUT", "/api/v1/admin/units/{unit}", ROUTE_FN(api_admin_unit_put), ACT_ADMIN,
	  ROUTE_TEXT },
	{ "POST", "/api/v1/admin/units/import", ROUTE_FN(api_admin_units_import), ACT_ADMIN,
	  ROUTE_UPLOAD },
	{ "GET", "/api/v1/admin/accounts", ROUTE_FN(api_admin_accounts_get), ACT_ADMIN, 0 },
	{ "POST", "/api/v1/admin/accounts", ROUTE_FN(api_admin_accounts_post), ACT_ADMIN,
	  ROUTE_PASSWORD },
	{ "PUT", "/api/v1/admin/accounts/{login}/password",
	  ROUTE_FN(api_admin_account_password_put), ACT_ADMIN, ROUTE_PASSWORD },
	{ "PUT", "/api/v1/admin/accounts/{login}/disabled",
	  ROUTE_FN(api_admin_account_disabled_put), ACT_ADMIN, 0 },
	{ "GET", "/api/v1/admin/series", ROUTE_FN(api_admin_series_get), ACT_ADMIN, 0 },
	{ "POST", "/api/v1/admin/series/{series}/tasks/preview",
	  ROUTE_FN(api_admin_tasks_preview), ACT_ADMIN, ROUTE_UPLOAD },
	{ "POST", "/api/v1/admin/series/{series}/tasks/import", ROUTE_FN(api_admin_tasks_import),
	  ACT_ADMIN, ROUTE_UPLOAD },
	{ "PUT", "/api/v1/admin/series/{series}/periods/{period}/override",
	  ROUTE_FN(api_admin_override_put), ACT_ADMIN, 0 },
	{ "DELETE", "/api/v1/admin/series/{series}/periods/{period}/override",
	  ROUTE_FN(api_admin_override_delete), ACT_ADMIN, 0 },
	{ "GET", "/api/v1/admin/calendar", ROUTE_FN(api_admin_calendar_get), ACT_ADMIN, 0 },
	{ "PUT", "/api/v1/admin/calendar/{day}", ROUTE_FN(api_admin_calendar_put), ACT_ADMIN, 0 },
	{ "DELETE", "/api/v1/admin/calendar/{day}", ROUTE_FN(api_admin_calendar_delete),
	  ACT_ADMIN, 0 },
	{ "GET", "/api/v1/admin/outbox", ROUTE_FN(api_admin_outbox_get), ACT_ADMIN, 0 },
	{ "POST", "/api/v1/admin/outbox/{id}/retry", ROUTE_FN(api_admin_outbox_retry), ACT_ADMIN,
	  0 },
	/* The web pages, from memory; their data comes from the API behind the gate. */
	{ "GET", "/", ROUTE_FN(handle_static), ACT_PUBLIC, ROUTE_INLINE },
	{ "GET", "/{file}", ROUTE_FN(handle_static), ACT_PUBLIC, ROUTE_INLINE },
	{ NULL, NULL, NULL, 0, 0 },
};
