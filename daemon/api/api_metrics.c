/* GET /metrics: the figures to watch, in the Prometheus text format 0.0.4. The counters are
 * the process's (core/metrics.c); the states of the outbox, the jobs and the open periods are
 * read from the database at scrape time, on the worker's connection. */
#include "api.h"
#include "build_config.h"
#include "db.h"
#include "job_kinds.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "outbox.h"
#include "prom.h"
#include "spacewatch.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The status classes' label values. */
static const char *const classes[METRICS_CLASSES] = { "1xx", "2xx", "3xx", "4xx", "5xx" };

/* Build info and readiness (the database answers and has the schema). */
static void write_build(struct strbuf *out, struct db *db)
{
	char version[24];
	bool ready = migrate_version(db, version, sizeof version) == 0;
	struct strbuf l = STRBUF_INIT;
	prom_label(&l, "version", BAOCAO_VERSION);
	prom_label(&l, "schema", ready ? version : "");
	prom_family(out, "baocao_build_info", "gauge",
		    "The daemon's version and the database schema's version; always 1.");
	prom_sample_u(out, "baocao_build_info", l.data, 1);
	strbuf_free(&l);
	prom_family(out, "baocao_ready", "gauge",
		    "1 when the database answers and has the schema (as /readyz answers 200).");
	prom_sample_u(out, "baocao_ready", NULL, ready);
}

/* The requests of one route (index r of the counters) by status class, the classes never
 * answered left out. */
static void write_route(struct strbuf *out, int r, const char *pattern, const char *method)
{
	struct strbuf l = STRBUF_INIT;
	for (int k = 0; k < METRICS_CLASSES; k++) {
		unsigned long long n = metrics_http_requests(r, k);
		if (n == 0)
			continue;
		strbuf_reset(&l);
		prom_label(&l, "route", pattern);
		prom_label(&l, "method", method);
		prom_label(&l, "class", classes[k]);
		prom_sample_u(out, "baocao_http_requests_total", l.data, n);
	}
	strbuf_free(&l);
}

/* Requests by route pattern, method and status class (routes never asked are left out), and
 * the duration histogram of all requests. */
static void write_http(struct strbuf *out, const struct route *routes)
{
	prom_family(out, "baocao_http_requests_total", "counter",
		    "HTTP requests answered, by route pattern, method and status class; "
		    "route=\"none\" for paths that match no route.");
	for (int r = 0; r < METRICS_ROUTE_NONE && routes[r].pattern; r++)
		write_route(out, r, routes[r].pattern, routes[r].method);
	write_route(out, METRICS_ROUTE_NONE, "none", "");
	unsigned long long counts[32];
	double sum = 0;
	if (metrics_duration_nbounds + 1 > nitems(counts))
		return;
	metrics_http_durations(counts, &sum);
	prom_family(out, "baocao_http_request_duration_seconds", "histogram",
		    "Time from a request's arrival to its answer, all routes.");
	prom_histogram(out, "baocao_http_request_duration_seconds", NULL, metrics_duration_bounds,
		       metrics_duration_nbounds, counts, sum);
}

/* One plain counter family without labels. */
static void write_counter(struct strbuf *out, const char *name, const char *help,
			  enum metrics_counter c)
{
	prom_family(out, name, "counter", help);
	prom_sample_u(out, name, NULL, metrics_counter_value(c));
}

/* One counter family of two or three counters told apart by one label. */
static void write_split(struct strbuf *out, const char *name, const char *help,
			const char *label, const char *const *values,
			const enum metrics_counter *cs, size_t n)
{
	struct strbuf l = STRBUF_INIT;
	prom_family(out, name, "counter", help);
	for (size_t i = 0; i < n; i++) {
		strbuf_reset(&l);
		prom_label(&l, label, values[i]);
		prom_sample_u(out, name, l.data, metrics_counter_value(cs[i]));
	}
	strbuf_free(&l);
}

/* The counters of the process: uploads, logins, the outbox's attempts, the database, the
 * connections' guard, the worker queues. */
static void write_process(struct strbuf *out)
{
	write_counter(out, "baocao_uploads_accepted_total",
		      "Reports stored (a new version, or the same file again).",
		      MC_UPLOADS_ACCEPTED);
	struct strbuf l = STRBUF_INIT;
	prom_family(out, "baocao_uploads_refused_total", "counter",
		    "Uploads refused, by the error code of the answer.");
	for (size_t i = 0; i < metrics_upload_nreasons; i++) {
		strbuf_reset(&l);
		prom_label(&l, "reason", metrics_upload_reasons[i]);
		prom_sample_u(out, "baocao_uploads_refused_total", l.data,
			      metrics_upload_refused_value(i));
	}
	static const char *const outcomes[] = { "sent", "deferred", "failed" };
	static const enum metrics_counter outbox[] = { MC_OUTBOX_SENT, MC_OUTBOX_DEFERRED,
						       MC_OUTBOX_FAILED };
	write_split(out, "baocao_outbox_attempts_total", "Attempts to send an outbox message "
		    "(mail, folder, URL), by outcome: sent, deferred (tried again), failed (for "
		    "good).", "outcome", outcomes, outbox, nitems(outbox));
	write_counter(out, "baocao_login_failures_total", "Logins refused: wrong name or password.",
		      MC_LOGIN_FAILED);
	write_counter(out, "baocao_login_throttled_total",
		      "Login attempts made to wait by the login limit (429).", MC_LOGIN_THROTTLED);
	write_counter(out, "baocao_db_reconnects_total",
		      "Database connections made again after a failed or lost one.",
		      MC_DB_RECONNECTS);
	prom_family(out, "baocao_connections_open", "gauge", "Client connections open.");
	prom_sample(out, "baocao_connections_open", NULL, (double)metrics_connections());
	static const char *const caps[] = { "per_address", "overall" };
	static const enum metrics_counter capped[] = { MC_CONN_REFUSED_ADDRESS,
						       MC_CONN_REFUSED_OVERALL };
	write_split(out, "baocao_connections_refused_total", "Connections refused by a cap: "
		    "max_connections_per_address or max_connections.", "cap", caps, capped,
		    nitems(capped));
	static const char *const phases[] = { "head", "body" };
	static const enum metrics_counter slow[] = { MC_CONN_SLOW_HEAD, MC_CONN_SLOW_BODY };
	write_split(out, "baocao_connections_slow_closed_total", "Connections closed for a head "
		    "slower than head_timeout or a body slower than min_body_rate.", "phase",
		    phases, slow, nitems(slow));
	prom_family(out, "baocao_worker_queue_length", "gauge",
		    "Requests waiting for a worker: pool main (requests, periodic work) or login "
		    "(password checks).");
	strbuf_reset(&l);
	prom_label(&l, "pool", "main");
	prom_sample_u(out, "baocao_worker_queue_length", l.data, worker_queued(false));
	strbuf_reset(&l);
	prom_label(&l, "pool", "login");
	prom_sample_u(out, "baocao_worker_queue_length", l.data, worker_queued(true));
	strbuf_free(&l);
}

/* Runs a scrape query; NULL (logged) when it fails: its families are left out. */
static PGresult *scrape_query(PGconn *conn, const char *what, const char *sql, int n,
			      const char *const *p)
{
	char *err = NULL;
	PGresult *r = db_run(conn, what, sql, n, p, &err);
	if (r == NULL) {
		log_warn("metrics", "%s: %s", what, err ? err : "query failed");
		free(err);
	}
	return r;
}

/* A gauge family from a query's rows: column 0 the label's value, column 1 the number. */
static void write_rows(struct strbuf *out, PGresult *r, const char *name, const char *label)
{
	struct strbuf l = STRBUF_INIT;
	for (int i = 0; i < PQntuples(r); i++) {
		strbuf_reset(&l);
		prom_label(&l, label, PQgetvalue(r, i, 0));
		prom_sample(out, name, l.data, strtod(PQgetvalue(r, i, 1), NULL));
	}
	strbuf_free(&l);
}

/* The outbox's messages by state and the deliveries escalated and not arrived. */
static void write_outbox(struct strbuf *out, PGconn *conn)
{
	PGresult *r = scrape_query(conn, "metrics outbox",
		"SELECT s, coalesce(c.n, 0) FROM unnest("
		"ARRAY['queued','sending','sent','deferred','failed','expired','unknown']) "
		"WITH ORDINALITY AS a(s, i) "
		"LEFT JOIN (SELECT state, count(*) AS n FROM outbox GROUP BY state) c "
		"ON c.state = a.s ORDER BY a.i",
		0, NULL);
	if (r) {
		prom_family(out, "baocao_outbox_messages", "gauge",
			    "Outbox messages by state (failed, expired, unknown need a person: "
			    "baocaoctl outbox --failed).");
		write_rows(out, r, "baocao_outbox_messages", "state");
		PQclear(r);
	}
	char *err = NULL;
	long long stuck = outbox_deliveries_stuck(conn, &err);
	if (stuck < 0) {
		log_warn("metrics", "deliveries: %s", err ? err : "query failed");
		free(err);
		return;
	}
	prom_family(out, "baocao_deliveries_not_arrived", "gauge",
		    "Final consolidated reports escalated (not delivered by the consolidation "
		    "deadline) and still not sent.");
	prom_sample_u(out, "baocao_deliveries_not_arrived", NULL, (unsigned long long)stuck);
}

/* Job runs by kind and state, each kind's last successful run, and how overdue its oldest
 * run still waiting is. */
static void write_jobs(struct strbuf *out, PGconn *conn, time_t now)
{
	PGresult *r = scrape_query(conn, "metrics jobs",
		"SELECT job || ' ' || state, count(*) FROM job_run GROUP BY job, state "
		"ORDER BY 1", 0, NULL);
	if (r) {
		struct strbuf l = STRBUF_INIT;
		prom_family(out, "baocao_job_runs", "gauge", "Job runs kept in job_run, by kind "
			    "and state (due, running, done, failed, interrupted, skipped).");
		for (int i = 0; i < PQntuples(r); i++) {
			char job[64];
			const char *v = PQgetvalue(r, i, 0), *sp = strchr(v, ' ');
			if (sp == NULL || (size_t)(sp - v) >= sizeof job)
				continue;
			snprintf(job, sizeof job, "%.*s", (int)(sp - v), v);
			strbuf_reset(&l);
			prom_label(&l, "job", job);
			prom_label(&l, "state", sp + 1);
			prom_sample(out, "baocao_job_runs", l.data, strtod(PQgetvalue(r, i, 1), NULL));
		}
		strbuf_free(&l);
		PQclear(r);
	}
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *p[] = { nowbuf };
	r = scrape_query(conn, "metrics job times",
		"SELECT job, extract(epoch FROM max(finished_at) FILTER (WHERE state = 'done')), "
		"  extract(epoch FROM to_timestamp($1::bigint) - min(due_at) FILTER (WHERE "
		"    state IN ('due', 'interrupted') AND due_at <= to_timestamp($1::bigint))) "
		"FROM job_run GROUP BY job", 1, p);
	if (r == NULL)
		return;
	struct strbuf l = STRBUF_INIT;
	prom_family(out, "baocao_job_last_success_timestamp_seconds", "gauge",
		    "When the last successful run of each kind of job finished (Unix time; "
		    "absent: never).");
	for (size_t k = 0; k < job_nkinds; k++)
		for (int i = 0; i < PQntuples(r); i++)
			if (strcmp(PQgetvalue(r, i, 0), job_kinds[k].name) == 0 &&
			    !PQgetisnull(r, i, 1)) {
				strbuf_reset(&l);
				prom_label(&l, "job", job_kinds[k].name);
				prom_sample(out, "baocao_job_last_success_timestamp_seconds", l.data,
					    strtod(PQgetvalue(r, i, 1), NULL));
			}
	prom_family(out, "baocao_job_overdue_seconds", "gauge",
		    "How long past its due time the oldest run of each kind still waits (0: "
		    "none waiting).");
	for (size_t k = 0; k < job_nkinds; k++) {
		double late = 0;
		for (int i = 0; i < PQntuples(r); i++)
			if (strcmp(PQgetvalue(r, i, 0), job_kinds[k].name) == 0 &&
			    !PQgetisnull(r, i, 2))
				late = strtod(PQgetvalue(r, i, 2), NULL);
		strbuf_reset(&l);
		prom_label(&l, "job", job_kinds[k].name);
		prom_sample(out, "baocao_job_overdue_seconds", l.data, late);
	}
	strbuf_free(&l);
	PQclear(r);
}

/* Per series, the units that have not reported in its current period (the one today falls
 * in), while it is open (not yet cut off). */
static void write_missing(struct strbuf *out, PGconn *conn, time_t now)
{
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *p[] = { nowbuf };
	PGresult *r = scrape_query(conn, "metrics missing",
		"SELECT s.name, count(pu.unit_id) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "
		"  submission x WHERE x.period_id = p.id AND x.unit_id = pu.unit_id)) "
		"FROM series s JOIN period p ON p.series_id = s.id AND p.state = 'open' "
		"  AND to_timestamp($1::bigint)::date BETWEEN p.starts_on AND p.ends_on "
		"LEFT JOIN LATERAL period_units(p.id) pu ON true "
		"WHERE s.active GROUP BY s.name ORDER BY s.name", 1, p);
	if (r == NULL)
		return;
	prom_family(out, "baocao_series_units_missing", "gauge",
		    "Units that have not yet reported for the current period of each series, "
		    "until its cut-off.");
	write_rows(out, r, "baocao_series_units_missing", "series");
	PQclear(r);
}

/* Writes every family (see api.h). */
void api_metrics_write(struct strbuf *out, struct db *db, const struct route *routes, time_t now)
{
	write_build(out, db);
	write_http(out, routes);
	write_process(out);
	spacewatch_metrics(out);
	PGconn *conn = db_conn(db);
	if (conn == NULL)
		return;	/* the database's figures are left out; baocao_ready says 0 */
	write_outbox(out, conn);
	write_jobs(out, conn, now);
	write_missing(out, conn, now);
}
