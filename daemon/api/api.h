/* The JSON API handlers under /api/v1, one file per resource. */
#ifndef BAOCAO_API_H
#define BAOCAO_API_H

#include "http.h"

#include "auth.h"
#include "periods.h"

#include <stdbool.h>

struct db;
struct series_def;

/* What a handler is handed (api_run): a live connection and who is calling. */
struct api_ctx {
	struct db *db;				/* the worker's holder (api_db_failed) */
	PGconn *conn;				/* live; NULL on routes needing no database */
	struct principal who;			/* the caller; zero on public routes */
	bool by_session;			/* by the session cookie, not a bearer token */
	char csrf[96];				/* the session's CSRF token, when by_session */
	const struct series_def *series;	/* the {series} of the path, if any */
	char unit[33];				/* the unit acted for: ?unit= or the caller's */
	bool on_behalf;				/* a coordinator filing for another unit */
};

/* A handler of the route table (cast with ROUTE_FN); it answers in rs. */
typedef void (*api_handler)(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx);

/* api_routes.c: every route of the daemon, ending with a zeroed entry. */
extern const struct route api_routes[];
/* api_auth.c: runs a route (struct http_app's run): the gate, the database connection for
 * routes that need one (503 without it), then the handler with its context. */
void api_run(struct http_request *rq, struct http_response *rs, struct db *db,
	     const struct route *route);
/* api_auth.c: identifies the caller, or writes the 401/503 answer and returns false. */
bool api_authenticate(struct http_request *rq, struct http_response *rs, struct db *db,
		      struct principal *who);
/* api_auth.c: for a public route, whether the request carries valid credentials (then *who);
 * never answers. */
bool api_identify(const struct http_request *rq, struct db *db, struct principal *who);
/* api_common.c: the answers every handler shares. */
void api_db_unavailable(struct http_response *rs);
void api_internal_error(struct http_response *rs);
/* Logs a database failure and answers 503 (connection lost) or 500; frees err. */
void api_db_failed(struct http_response *rs, struct db *db, const char *what, char *err);
/* Answers 500 workbook_invalid (a workbook failed xlsxw_check: nothing stored or sent) and
 * logs err; frees it. */
void api_workbook_invalid(struct http_response *rs, const char *what, char *err);
/* Answers a periods_resolve()/periods_lookup() failure; frees err. */
void api_period_failed(struct http_response *rs, struct db *db, const char *what,
		       enum periods_result rc, char *err);
struct jv;
/* Answers 422 invalid_text ("Nhận xét (trường “comment”): có ký tự không hợp lệ (U+FFFF,
 * ...)") when a string of a request's JSON breaks the text rule of xmltext.h, and returns
 * true. */
bool api_text_refused(struct http_response *rs, const struct jv *doc);
/* After a change that may move due times: plans the jobs again at once, here and (NOTIFY) in
 * every other daemon on the database. */
void api_changed(PGconn *conn);
/* The period of the path (periods_lookup); false after answering (the period's own
 * refusals). what names the request in the log. */
bool api_period_of(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx,
		   const char *what, struct period_info *pi);
/* As api_period_of, for a period that has opened (stored): else 404 period_not_open. */
bool api_stored_period_of(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx, const char *what, struct period_info *pi);
/* Whether reminders make sense for the period (stored, begun, not skipped); else frees pi and
 * answers 409 nothing_to_remind. */
bool api_period_remindable(const struct http_request *rq, struct http_response *rs,
			   struct period_info *pi);
/* The series named in the path, or NULL after answering 404. */
const struct series_def *api_series(struct http_request *rq, struct http_response *rs);
/* For a recipient (report.view reaches other units' reports through the series it
 * receives): whether column col (a binary bool) of r's first row says the version was
 * superseded; then answers 403 not_in_force. Recipients see a unit's report in force only. */
bool api_recipient_superseded(const struct api_ctx *cx, const PGresult *r, int col,
			      struct http_response *rs);
/* The version number of ?n= (1 to 9 digits, no leading zero, no sign nor space), or 0 after
 * answering 400 bad_version with message (what the route's n means). */
int api_version_param(struct http_request *rq, struct http_response *rs, const char *message);

/* api_document.c */
void api_document_put(struct http_request *rq, struct http_response *rs,
		      const struct api_ctx *cx);
void api_document_get(struct http_request *rq, struct http_response *rs,
		      const struct api_ctx *cx);
void api_documents_list(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);
/* Whether the body is declared a PDF (Content-Type application/pdf, parameters aside). */
bool api_is_pdf_type(const struct http_request *rq);
/* Checks the body of a PUT of a PDF document: type, size, upload rate, pdfcheck; false after
 * answering (api_document.c). */
bool api_pdf_body_ok(struct http_request *rq, struct http_response *rs,
		     const struct api_ctx *cx, const char *what);
/* api_consolidated_doc.c: the signed document of a final version */
void api_consol_document_put(struct http_request *rq, struct http_response *rs,
			     const struct api_ctx *cx);
void api_consol_document_get(struct http_request *rq, struct http_response *rs,
			     const struct api_ctx *cx);
void api_consol_documents_get(struct http_request *rq, struct http_response *rs,
			      const struct api_ctx *cx);
/* api_submission.c */
void api_submission_put(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);
void api_submission_get(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);
void api_submission_file(struct http_request *rq, struct http_response *rs,
			 const struct api_ctx *cx);
void api_submission_list(struct http_request *rq, struct http_response *rs,
			 const struct api_ctx *cx);
/* PUT /api/v1/submissions: a workbook stored where its hidden sheet says. */
void api_submission_found_put(struct http_request *rq, struct http_response *rs,
			      const struct api_ctx *cx);
void api_receipt_key(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);

/* api_session.c */
void api_session_create(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);
void api_session_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);
void api_session_delete(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);

/* api_periods.c */
void api_period_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);
void api_template_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);
void api_period_remind(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);

/* api_consolidated_ack.c */
void api_consolidated_ack(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx);
/* Members of other answers: the consolidating unit's delivery of a period (versions), its
 * line of the timeliness table over the periods in pr's first column. */
void api_consolidated_delivery(struct json *j, const struct api_ctx *cx, long long period_id);
void api_timeliness_consolidator(struct json *j, const struct api_ctx *cx, PGresult *pr,
				 time_t now, int count);

/* api_consolidated.c */
void api_consolidated_get(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx);
void api_consolidated_draft(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx);
void api_consolidated_versions(struct http_request *rq, struct http_response *rs,
			       const struct api_ctx *cx);
void api_period_status(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);

/* api_extension.c: a unit's extension for a period (grant, take back) */
void api_extension_put(struct http_request *rq, struct http_response *rs,
		       const struct api_ctx *cx);
void api_extension_delete(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx);

/* api_review.c */
void api_review_put(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);
/* One unit's review: what is judged, and how it ended. */
struct api_review {
	const struct http_request *rq;
	const struct api_ctx *cx;
	const struct period_info *pi;
	const char *unit;
	bool returned;
	const char *comment;
	int judged;		/* the version the coordinator judged */
	int status;		/* the answer when refused */
	const char *code, *message;
	long long submission;
	int version, mails;
	char current_at[40];	/* version_changed: when the version in force was received */
	char *changed;		/* version_changed: the message (a new string; the caller frees) */
};
/* Records one unit's review in its own transaction (the verdict, its audit entry, the unit's
 * mail for a return): 0 done; 1 refused (status, code, message: no report, or another
 * version in force); -1 with *err on a database failure. */
int api_review_unit(struct api_review *a, char **err);
/* The "version" of a review (an object): a whole number from 1, or 0 when absent or not one. */
int api_review_version(const struct jv *doc);
/* Writes the error object of a refused review ({"code", "message", ...}). */
void api_review_error_json(struct json *j, const struct api_review *a);
/* api_review_bulk.c: POST .../review, several units' reports accepted at once. */
void api_review_bulk(struct http_request *rq, struct http_response *rs,
		     const struct api_ctx *cx);
void api_assessment_put(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);
void api_assessment_get(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);
void api_approve_post(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);

/* api_timeline.c: a unit's timeline in a period */
void api_timeline_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);

/* api_board.c: the coordinator's and the recipient's pages */
void api_remind_preview(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);
void api_timeliness_get(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);
void api_deliveries_get(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);

/* api_me.c, api_tasks.c, api_account.c */
void api_me_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);
void api_tasks_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx);
void api_account_password_put(struct http_request *rq, struct http_response *rs,
			      const struct api_ctx *cx);
/* GET /api/v1/account/tokens: one's own live API tokens. */
void api_account_tokens_get(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx);
/* POST /api/v1/account/tokens/revoke: revokes one's own API tokens. */
void api_account_tokens_revoke(struct http_request *rq, struct http_response *rs,
			       const struct api_ctx *cx);

/* api_metrics.c: the body of GET /metrics in the Prometheus text format: the counters of the
 * process (requests counted by their index in routes), then what the database says at now. */
void api_metrics_write(struct strbuf *out, struct db *db, const struct route *routes,
		       time_t now);

/* api_testing.c */
void api_testing_clock_put(struct http_request *rq, struct http_response *rs,
			   const struct api_ctx *cx);

/* api_admin_*.c: the administrators' pages (action admin) */
void api_admin_units_get(struct http_request *rq, struct http_response *rs,
			 const struct api_ctx *cx);
void api_admin_unit_put(struct http_request *rq, struct http_response *rs,
			const struct api_ctx *cx);
void api_admin_units_import(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx);
void api_admin_accounts_get(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx);
void api_admin_accounts_post(struct http_request *rq, struct http_response *rs,
			     const struct api_ctx *cx);
void api_admin_account_password_put(struct http_request *rq, struct http_response *rs,
				    const struct api_ctx *cx);
void api_admin_account_disabled_put(struct http_request *rq, struct http_response *rs,
				    const struct api_ctx *cx);
void api_admin_tasks_preview(struct http_request *rq, struct http_response *rs,
			     const struct api_ctx *cx);
void api_admin_tasks_import(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx);
void api_admin_calendar_get(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx);
void api_admin_calendar_put(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx);
void api_admin_calendar_delete(struct http_request *rq, struct http_response *rs,
			       const struct api_ctx *cx);
void api_admin_series_get(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx);
void api_admin_override_put(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx);
void api_admin_override_delete(struct http_request *rq, struct http_response *rs,
			       const struct api_ctx *cx);
void api_admin_outbox_get(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx);
void api_admin_outbox_retry(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx);

#endif
