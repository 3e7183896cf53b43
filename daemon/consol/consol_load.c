/* The consolidated report of one period read from the database: which submission of each
 * expected unit goes in, and everything the workbook shows (consol_write.c writes it). */
#include "consol.h"
#include "config.h"
#include "db.h"
#include "documents.h"
#include "periods.h"
#include "series.h"
#include "unit_groups.h"
#include "util.h"
#include "vntext.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Units whose items one statement reads and the writer holds at a time: about 3,000 items of
 * 30 per unit, a few MiB, whatever the number of units. */
#define ITEM_BATCH 100
/* Submissions whose items one statement counts. */
#define COUNT_BATCH 500

static const char *const state_codes[CONSOL_NSTATES] = {
	[CONSOL_ON_TIME] = "on_time", [CONSOL_LATE] = "late",
	[CONSOL_MISSING] = "missing", [CONSOL_RETURNED] = "returned",
};

const char *consol_state_code(enum consol_state state)
{
	return (unsigned)state < CONSOL_NSTATES ? state_codes[state] : "missing";
}

/* Parses a state code; missing when unknown. */
static enum consol_state state_parse(const char *s)
{
	for (int i = 0; i < CONSOL_NSTATES; i++)
		if (strcmp(s, state_codes[i]) == 0)
			return (enum consol_state)i;
	return CONSOL_MISSING;
}

/* ---- entries ---- */

/* The state of a submission as the consolidation sees it. */
#define STATE_SQL \
	"CASE WHEN x.id IS NULL THEN 'missing' WHEN x.review = 'returned' THEN 'returned' " \
	"  WHEN x.on_time THEN 'on_time' ELSE 'late' END"

int consol_entries_load(PGconn *conn, long long period_id, enum consol_source src,
			long long consolidation_id, struct consol_entries *out, char **err)
{
	memset(out, 0, sizeof *out);
	char pid[24], cid[24];
	snprintf(pid, sizeof pid, "%lld", period_id);
	snprintf(cid, sizeof cid, "%lld", consolidation_id);
	const char *p[] = { src == CONSOL_FROM_STORED ? cid : pid };
	const char *sql;
	switch (src) {
	case CONSOL_FROM_NOW:
		sql = "SELECT pu.unit_id, x.id, " STATE_SQL " FROM period_units($1::bigint) pu "
		      "LEFT JOIN submission x ON x.period_id = $1::bigint "
		      "  AND x.unit_id = pu.unit_id AND NOT x.superseded ORDER BY pu.unit_id";
		break;
	case CONSOL_FROM_DEADLINE:
		sql = "SELECT pu.unit_id, x.id, " STATE_SQL " FROM period_units($1::bigint) pu "
		      "LEFT JOIN LATERAL (SELECT y.id, y.review, y.on_time FROM submission y "
		      "  WHERE y.period_id = $1::bigint AND y.unit_id = pu.unit_id AND y.on_time "
		      "  ORDER BY y.version DESC LIMIT 1) x ON true ORDER BY pu.unit_id";
		break;
	default:
		sql = "SELECT unit_id, submission_id, state FROM consolidation_entry "
		      "WHERE consolidation_id = $1::bigint ORDER BY unit_id";
		break;
	}
	PGresult *r = db_run(conn, "consolidate", sql, 1, p, err);
	if (r == NULL)
		return -1;
	out->n = (size_t)PQntuples(r);
	out->items = xcalloc(out->n ? out->n : 1, sizeof *out->items);
	for (size_t i = 0; i < out->n; i++) {
		int row = (int)i;
		out->items[i].unit_id = atoll(PQgetvalue(r, row, 0));
		out->items[i].submission_id = PQgetisnull(r, row, 1) ? 0 :
					      atoll(PQgetvalue(r, row, 1));
		out->items[i].state = state_parse(PQgetvalue(r, row, 2));
	}
	PQclear(r);
	return 0;
}

void consol_entries_free(struct consol_entries *e)
{
	free(e->items);
	memset(e, 0, sizeof *e);
}

/* ---- small helpers ---- */

/* An array literal of the entries' unit ids, or of their submission ids (non-zero only). */
static char *ids_literal(const struct consol_entry *items, size_t from, size_t to,
			 bool submissions)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addc(&sb, '{');
	bool first = true;
	for (size_t i = from; i < to; i++) {
		long long id = submissions ? items[i].submission_id : items[i].unit_id;
		if (id == 0)
			continue;
		strbuf_addf(&sb, "%s%lld", first ? "" : ",", id);
		first = false;
	}
	strbuf_addc(&sb, '}');
	return strbuf_detach(&sb);
}

/* "10:42 11/12/2026" in local time (new string). */
static char *time_short(time_t t)
{
	cal_day day;
	int minute;
	if (cal_day_of_time(t, &day, &minute) != 0)
		return xstrdup("");
	char date[CAL_DATE_BUF];
	cal_format_date_vi(day, date);
	return xasprintf("%02d:%02d %s", minute / 60, minute % 60, date);
}

/* "11 giờ 00, thứ Sáu, ngày 11/12/2026" (new string). */
static char *time_long(time_t t)
{
	char buf[96];
	if (cal_format_vi_long(t, buf, sizeof buf) != 0)
		return xstrdup("");
	return xstrdup(buf);
}

/* The period in words for the subject: "tuần 50 (từ 07/12/2026 đến 13/12/2026)". */
static char *period_words(const struct period *p)
{
	static const char *const roman[5] = { "", "I", "II", "III", "IV" };
	cal_day first, last;
	char a[CAL_DATE_BUF], b[CAL_DATE_BUF];
	switch (p->kind) {
	case PERIOD_WEEKLY:
		if (period_bounds(p, &first, &last) != 0)
			break;
		cal_format_date_vi(first, a);
		cal_format_date_vi(last, b);
		return xasprintf("tuần %d (từ %s đến %s)", p->index, a, b);
	case PERIOD_MONTHLY:
		return xasprintf("tháng %02d năm %d", p->index, p->year);
	case PERIOD_QUARTERLY:
		return xasprintf("quý %s năm %d", roman[p->index >= 1 && p->index <= 4 ? p->index : 0],
				 p->year);
	case PERIOD_HALF_YEARLY:
		return xasprintf("6 tháng %s năm %d", p->index == 1 ? "đầu" : "cuối", p->year);
	case PERIOD_YEARLY:
		return xasprintf("năm %d", p->year);
	case PERIOD_ADHOC:
		break;
	}
	return xasprintf("đợt %s", p->kind == PERIOD_ADHOC ? p->slug : "");
}

/* A short column label for "Chuyên cần": "T50", "12/2026", "Q4/2026", "H2/2026", "2026". */
static char *period_label(const char *key, enum period_kind kind)
{
	struct period p;
	char *why = NULL;
	if (period_parse(kind, key, &p, &why) != 0) {
		free(why);
		return xstrdup(key);
	}
	switch (kind) {
	case PERIOD_WEEKLY:
		return xasprintf("T%d/%d", p.index, p.year);
	case PERIOD_MONTHLY:
		return xasprintf("%02d/%d", p.index, p.year);
	case PERIOD_QUARTERLY:
		return xasprintf("Q%d/%d", p.index, p.year);
	case PERIOD_HALF_YEARLY:
		return xasprintf("%s/%d", p.index == 1 ? "6T đầu" : "6T cuối", p.year);
	case PERIOD_YEARLY:
		return xasprintf("%d", p.year);
	case PERIOD_ADHOC:
		break;
	}
	return xstrdup(key);
}

/* The document's subject: "Tổng hợp kết quả thực hiện nhiệm vụ theo Thông báo số 15-TB/BCĐ,
 * tuần 50 (...)": the series' source up to " của ", else its title. */
static char *subject_text(const struct series_def *s, const struct period *p)
{
	char *words = period_words(p);
	char *out;
	if (s->source && s->source[0]) {
		const char *cut = strstr(s->source, " của ");
		int len = cut ? (int)(cut - s->source) : (int)strlen(s->source);
		out = xasprintf("Tổng hợp kết quả thực hiện nhiệm vụ theo %.*s, %s", len, s->source,
				words);
	} else {
		out = xasprintf("Tổng hợp %s, %s", s->title, words);
	}
	free(words);
	return out;
}

/* ---- the parts of the document ---- */

/* The document's header: bodies, number, place and date, subject, recipients. */
static int load_header(PGconn *conn, const struct period_info *pi, const struct consol_meta *m,
		       struct consol_doc *d, char **err)
{
	const struct series_def *s = pi->series;
	const struct config *cfg = config_current();
	d->header = s->header && strcmp(s->header, "party") == 0 ? CONSOL_HEADER_PARTY :
		    CONSOL_HEADER_STATE;
	d->edition = m->edition;
	d->version = m->version;
	d->created = m->created;
	d->series_name = xstrdup(s->name);
	d->period_key = xstrdup(pi->id);
	d->parent_body = vn_upper(cfg->parent_body ? cfg->parent_body : "");
	d->place = xstrdup(cfg->place ? cfg->place : "");
	d->subject = subject_text(s, &pi->period);
	d->deadline_text = pi->skipped ? xstrdup("") : time_long(pi->unit_deadline);
	d->built_at_text = time_long(m->built_at);
	int minute;
	if (cal_day_of_time(m->built_at, &d->date, &minute) != 0)
		d->date = 0;
	const char *code = s->consolidator ? s->consolidator : "";
	d->archive_code = xstrdup(code);
	d->signer_title = xstrdup(cfg->signer_title ? cfg->signer_title : "");
	/* The number is given by the office's register when the document is issued: dots. */
	d->number = d->header == CONSOL_HEADER_PARTY ? xasprintf("Số .......-BC/%s", code) :
		    xasprintf("Số: ......./BC-%s", code);
	d->automatic = m->automatic;
	d->approved_by = m->approved_by ? xstrdup(m->approved_by) : NULL;
	d->approved_at_text = m->approved_by || m->automatic ? time_long(m->approved_at) : NULL;

	const char *p[] = { code, s->name };
	PGresult *r = db_run(conn, "consolidate",
		"SELECT name FROM unit WHERE code = $1 "
		"UNION ALL (SELECT u.name FROM series_recipient sr JOIN series se ON se.id = sr.series_id "
		"  JOIN unit u ON u.id = sr.unit_id WHERE se.name = $2 ORDER BY u.name)", 2, p, err);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	bool have_self = n > 0 && code[0] != '\0';
	d->issuing_body = vn_upper(have_self ? PQgetvalue(r, 0, 0) : code);
	int first = have_self ? 1 : 0;
	d->nrecipients = (size_t)(n - first);
	d->recipients = xcalloc(d->nrecipients ? d->nrecipients : 1, sizeof *d->recipients);
	for (int i = first; i < n; i++)
		d->recipients[i - first] = xstrdup(PQgetvalue(r, i, 0));
	PQclear(r);

	char aid[24], period_id[24];
	snprintf(aid, sizeof aid, "%lld", m->assessment_id);
	snprintf(period_id, sizeof period_id, "%lld", pi->db_id);
	const char *pa[] = { period_id, aid };
	r = db_run(conn, "consolidate",
		"SELECT body FROM assessment WHERE period_id = $1::bigint "
		"  AND ($2::bigint = 0 OR id = $2::bigint) ORDER BY id DESC LIMIT 1", 2, pa, err);
	if (r == NULL)
		return -1;
	d->assessment = xstrdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return 0;
}

/* The units of the entries, grouped and ordered, with their submissions' details. */
static int load_units(PGconn *conn, const struct consol_entries *e, struct consol_doc *d,
		      long long **sub_of_unit, long long **uid, char **err)
{
	char *units = ids_literal(e->items, 0, e->n, false);
	const char *p[] = { units };
	PGresult *r = db_run(conn, "consolidate",
		"SELECT u.id, u.code, u.name, u.unit_group, "
		"  array_to_string(ARRAY(SELECT regexp_replace(a, '^head:', '') FROM unnest(u.emails) a), "
		"    chr(10)) "
		"FROM unit u WHERE u.id = ANY ($1::bigint[]) "
		"ORDER BY " UNIT_ORDER_BY("u"),
		1, p, err);
	free(units);
	if (r == NULL)
		return -1;
	d->nunits = (size_t)PQntuples(r);
	d->units = xcalloc(d->nunits ? d->nunits : 1, sizeof *d->units);
	*sub_of_unit = xcalloc(d->nunits ? d->nunits : 1, sizeof **sub_of_unit);
	*uid = xcalloc(d->nunits ? d->nunits : 1, sizeof **uid);
	d->groups = xcalloc(d->nunits ? d->nunits : 1, sizeof *d->groups);
	for (size_t i = 0; i < d->nunits; i++) {
		int row = (int)i;
		struct consol_unit *u = &d->units[i];
		long long id = atoll(PQgetvalue(r, row, 0));
		(*uid)[i] = id;
		u->code = xstrdup(PQgetvalue(r, row, 1));
		u->name = xstrdup(PQgetvalue(r, row, 2));
		u->group = xstrdup(PQgetvalue(r, row, 3));
		const char *mails = PQgetvalue(r, row, 4);
		for (const char *m = mails; *m;) {
			size_t len = strcspn(m, "\n");
			u->emails = xrealloc(u->emails, (u->nemails + 1) * sizeof *u->emails);
			u->emails[u->nemails++] = xstrndup(m, len);
			m += len + (m[len] == '\n');
		}
		u->general_difficulties = xstrdup("");
		u->general_proposals = xstrdup("");
		u->state = CONSOL_MISSING;
		for (size_t k = 0; k < e->n; k++)	/* entries are few per unit: by id */
			if (e->items[k].unit_id == id) {
				u->state = e->items[k].state;
				(*sub_of_unit)[i] = e->items[k].submission_id;
				break;
			}
		if (d->ngroups == 0 || strcmp(d->groups[d->ngroups - 1].name, u->group) != 0) {
			struct consol_group *g = &d->groups[d->ngroups++];
			g->name = xstrdup(u->group);
			g->title = xstrdup(unit_group_title(u->group));
		}
	}
	PQclear(r);
	return 0;
}

/* The submissions' own fields: when, which version, on time, review, general texts, and the
 * document in force with the version (its signature line), all units in one query. */
static int load_submissions(PGconn *conn, struct consol_doc *d, const long long *sub,
			    char **err)
{
	struct strbuf ids = STRBUF_INIT;
	strbuf_addc(&ids, '{');
	for (size_t i = 0, first = 1; i < d->nunits; i++)
		if (sub[i]) {
			strbuf_addf(&ids, "%s%lld", first ? "" : ",", sub[i]);
			first = 0;
		}
	strbuf_addc(&ids, '}');
	const char *p[] = { ids.data };
	PGresult *r = db_run(conn, "consolidate",
		"SELECT s.id, extract(epoch FROM s.received_at)::bigint, s.version, s.on_time, "
		"  s.general_difficulties, s.general_proposals, s.review_comment, "
		"  " DOCUMENT_LINE_SQL("d") ", extract(epoch FROM s.extended_until)::bigint, "
		"  s.received_at > p.unit_deadline "
		"FROM submission s LEFT JOIN submission_document d ON d.id = s.document_id "
		"JOIN period p ON p.id = s.period_id "
		"WHERE s.id = ANY ($1::bigint[]) ORDER BY s.id", 1, p, err);
	strbuf_free(&ids);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	for (size_t i = 0; i < d->nunits; i++) {
		if (sub[i] == 0)
			continue;
		int lo = 0, hi = n - 1, row = -1;	/* rows are ordered by id */
		while (lo <= hi) {
			int mid = (lo + hi) / 2;
			long long id = atoll(PQgetvalue(r, mid, 0));
			if (id == sub[i]) {
				row = mid;
				break;
			}
			if (id < sub[i])
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		if (row < 0)
			continue;
		struct consol_unit *u = &d->units[i];
		u->received_at = time_short((time_t)atoll(PQgetvalue(r, row, 1)));
		u->version = atoi(PQgetvalue(r, row, 2));
		u->late = strcmp(PQgetvalue(r, row, 3), "t") != 0;
		free(u->general_difficulties);
		free(u->general_proposals);
		u->general_difficulties = xstrdup(PQgetvalue(r, row, 4));
		u->general_proposals = xstrdup(PQgetvalue(r, row, 5));
		if (u->state == CONSOL_RETURNED && !PQgetisnull(r, row, 6))
			u->comment = xstrdup(PQgetvalue(r, row, 6));
		u->document = xstrdup(PQgetvalue(r, row, 7));
		if (!PQgetisnull(r, row, 8)) {
			char *until = time_short((time_t)atoll(PQgetvalue(r, row, 8)));
			u->extension = xasprintf("gia hạn đến %s", until);
			free(until);
			u->supplement = strcmp(PQgetvalue(r, row, 9), "t") == 0;
		}
	}
	PQclear(r);
	return 0;
}

/* A column's text, or NULL when it is NULL. */
static const char *value_or_null(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* An item's official status from its columns: the state reported, the task's deadline and
 * the completion date ("YYYY-MM-DD", or NULL when none). */
static enum task_status item_status(const char *state_text, const char *deadline,
				    const char *completed, cal_day period_end)
{
	struct task_deadline dl = { .has_date = deadline != NULL };
	if (dl.has_date && cal_parse_date(deadline, &dl.day) != 0)
		dl.has_date = false;
	enum task_state state;
	if (task_state_parse(state_text, &state) != 0)
		state = TASK_STATE_NOT_STARTED;
	cal_day done;
	bool has_done = completed != NULL && cal_parse_date(completed, &done) == 0;
	return task_status_derive(state, has_done ? &done : NULL, &dl, period_end);
}

/* Fills one item from a row of the items' statement; its texts stay in the result (the
 * batch's), which is freed, not they, when the batch is dropped. */
static void item_fill(PGresult *r, int row, cal_day period_end, struct consol_item *it)
{
	cal_day starts = 0;
	bool has_start = !PQgetisnull(r, row, 5) && cal_parse_date(PQgetvalue(r, row, 5),
								   &starts) == 0;
	it->task_code = PQgetvalue(r, row, 1);
	it->task_title = PQgetvalue(r, row, 2);
	it->deadline_text = PQgetvalue(r, row, 3);
	if (task_state_parse(PQgetvalue(r, row, 6), &it->state) != 0)
		it->state = TASK_STATE_NOT_STARTED;
	it->progress = PQgetisnull(r, row, 7) ? -1 : atoi(PQgetvalue(r, row, 7));
	it->has_completed = !PQgetisnull(r, row, 8) &&
			    cal_parse_date(PQgetvalue(r, row, 8), &it->completed_on) == 0;
	it->status = item_status(PQgetvalue(r, row, 6), value_or_null(r, row, 4),
				 value_or_null(r, row, 8), period_end);
	it->behind = it->status == TASK_OVERDUE ||
		     (it->state == TASK_STATE_NOT_STARTED && (!has_start || starts <= period_end));
	it->result = PQgetvalue(r, row, 9);
	it->difficulties = PQgetvalue(r, row, 10);
	it->proposals = PQgetvalue(r, row, 11);
	it->note = PQgetvalue(r, row, 12);
}

/* The units' items counted by official status ("Tổng hợp" comes before the items): a
 * statement per COUNT_BATCH submissions, items alike counted together. */
static int load_counts(PGconn *conn, struct consol_doc *d, const long long *sub,
		       cal_day period_end, char **err)
{
	size_t i = 0;
	while (i < d->nunits) {
		struct strbuf ids = STRBUF_INIT;
		strbuf_addc(&ids, '{');
		size_t start = i, count = 0;
		for (; i < d->nunits && count < COUNT_BATCH; i++)
			if (sub[i])
				strbuf_addf(&ids, "%s%lld", count++ ? "," : "", sub[i]);
		strbuf_addc(&ids, '}');
		if (count == 0) {
			strbuf_free(&ids);
			continue;
		}
		const char *p[] = { ids.data };
		PGresult *r = db_run(conn, "consolidate",
			"SELECT ri.submission_id, ri.status, to_char(t.deadline, 'YYYY-MM-DD'), "
			"  to_char(ri.completed_on, 'YYYY-MM-DD'), count(*) "
			"FROM report_item ri JOIN task t ON t.id = ri.task_id "
			"WHERE ri.submission_id = ANY ($1::bigint[]) GROUP BY 1, 2, 3, 4 ORDER BY 1",
			1, p, err);
		strbuf_free(&ids);
		if (r == NULL)
			return -1;
		int n = PQntuples(r);
		size_t k = start;	/* the unit of the last row's submission */
		for (int row = 0; row < n; row++) {
			long long sid = atoll(PQgetvalue(r, row, 0));
			if (k >= i || sub[k] != sid)
				for (k = start; k < i && sub[k] != sid; k++)
					;
			if (k >= i)
				continue;
			struct consol_unit *u = &d->units[k];
			unsigned many = (unsigned)strtoul(PQgetvalue(r, row, 4), NULL, 10);
			enum task_status st = item_status(PQgetvalue(r, row, 1),
							  value_or_null(r, row, 2),
							  value_or_null(r, row, 3), period_end);
			u->status_counts[st] += many;
			u->nitems += many;
		}
		PQclear(r);
	}
	return 0;
}

/* The items still in the database: what reading a batch of units needs. */
struct consol_feed {
	PGconn *conn;
	struct consol_doc *doc;
	long long *sub;		/* each unit's submission, 0 when none */
	cal_day period_end;	/* items are judged at the period's last day */
	PGresult *batch;	/* the rows the batch's items point into, or NULL */
	size_t from, to;	/* the batch's units */
	bool ahead;		/* the next batch's statement sent, its result not yet read */
	size_t ahead_from;	/* that batch's first unit */
	struct strbuf ahead_ids;	/* its parameter, kept until its result is read */
	bool reading;		/* a thread reads that result: the connection is its own */
	pthread_t reader;
	PGresult *ahead_result;	/* what the thread read */
};

/* The items of a batch's submissions, in the order the sheets list them. */
#define ITEMS_SQL \
	"SELECT ri.submission_id, t.code, t.title, " \
	"  CASE WHEN t.deadline_text <> '' THEN t.deadline_text " \
	"    WHEN t.deadline IS NULL THEN 'Thường xuyên' " \
	"    ELSE to_char(t.deadline, 'DD/MM/YYYY') END, " \
	"  to_char(t.deadline, 'YYYY-MM-DD'), to_char(t.starts_on, 'YYYY-MM-DD'), " \
	"  ri.status, ri.progress, to_char(ri.completed_on, 'YYYY-MM-DD'), ri.result, " \
	"  ri.difficulties, ri.proposals, ri.note " \
	"FROM report_item ri JOIN task t ON t.id = ri.task_id " \
	"WHERE ri.submission_id = ANY ($1::bigint[]) " \
	"ORDER BY ri.submission_id, t.ordinal, t.code"

/* The units of the batch from `from`: its end, and its submissions as an array literal in
 * *ids; how many there are. */
static size_t batch_ids(const struct consol_feed *f, size_t from, size_t *end,
			struct strbuf *ids)
{
	size_t n = f->doc->nunits, count = 0;
	*end = from + ITEM_BATCH < n ? from + ITEM_BATCH : n;
	strbuf_reset(ids);
	strbuf_addc(ids, '{');
	for (size_t i = from; i < *end; i++)
		if (f->sub[i])
			strbuf_addf(ids, "%s%lld", count++ ? "," : "", f->sub[i]);
	strbuf_addc(ids, '}');
	return count;
}

/* The reader thread: reads the result of the statement sent ahead, whole. */
static void *feed_ahead_read(void *arg)
{
	struct consol_feed *f = arg;
	f->ahead_result = db_receive(f->conn);
	return NULL;
}

/* The result of the statement sent ahead, as it came: the reader's, or read now. */
static PGresult *feed_ahead_take(struct consol_feed *f)
{
	if (f->reading) {
		if (pthread_join(f->reader, NULL) != 0)
			abort();	/* a joinable thread of ours: a broken invariant */
		f->reading = false;
		PGresult *r = f->ahead_result;
		f->ahead_result = NULL;
		return r;
	}
	return db_receive(f->conn);
}

/* Drops the statement sent ahead, its result unread. */
static void feed_ahead_drop(struct consol_feed *f)
{
	if (f->ahead)
		PQclear(feed_ahead_take(f));
	f->ahead = false;
}

/*
 * Sends the statement of the batch from `from` ahead, so that PostgreSQL reads and sorts its
 * items (on the other core) while this batch is written. A failure to send is not one: the
 * batch is then read when its turn comes, and fails there if it must.
 */
static void feed_ahead_send(struct consol_feed *f, size_t from)
{
	size_t end;
	if (from >= f->doc->nunits || batch_ids(f, from, &end, &f->ahead_ids) == 0)
		return;
	const char *p[] = { strbuf_str(&f->ahead_ids) };
	char *err = NULL;
	if (db_send(f->conn, "consolidate", ITEMS_SQL, 1, p, &err) != 0) {
		free(err);
		db_discard(f->conn);
		return;
	}
	f->ahead = true;
	f->ahead_from = from;
	/* A thread reads the rows as PostgreSQL sends them (else it waits, its socket full,
	 * until the batch's turn); without one, they are read then. */
	f->reading = pthread_create(&f->reader, NULL, feed_ahead_read, f) == 0;
}

/* Takes back the batch's items: their arrays, then the rows their texts are in. */
static void feed_release(struct consol_feed *f)
{
	for (size_t i = f->from; i < f->to && i < f->doc->nunits; i++) {
		free(f->doc->units[i].items);
		f->doc->units[i].items = NULL;
	}
	PQclear(f->batch);
	f->batch = NULL;
	f->from = f->to = 0;
}

/* Gives units [from, *to) their items: one statement for the batch's submissions, sent while
 * the batch before was written; the next batch's is sent before this one is given. */
static int feed_fill(void *ctx, size_t from, size_t *to, char **err)
{
	struct consol_feed *f = ctx;
	struct consol_doc *d = f->doc;
	feed_release(f);
	size_t end;
	PGresult *r = NULL;
	if (f->ahead && f->ahead_from == from) {
		f->ahead = false;
		const char *p[] = { strbuf_str(&f->ahead_ids) };
		end = from + ITEM_BATCH < d->nunits ? from + ITEM_BATCH : d->nunits;
		r = db_received(f->conn, feed_ahead_take(f), "consolidate", ITEMS_SQL, 1, p,
				err);
		if (r == NULL)
			return -1;
	} else {
		feed_ahead_drop(f);
		struct strbuf ids = STRBUF_INIT;
		size_t count = batch_ids(f, from, &end, &ids);
		const char *p[] = { strbuf_str(&ids) };
		if (count > 0)
			r = db_run(f->conn, "consolidate", ITEMS_SQL, 1, p, err);
		strbuf_free(&ids);
		if (count > 0 && r == NULL)
			return -1;
	}
	*to = end;
	if (r == NULL)		/* no submission among the batch's units */
		return 0;
	feed_ahead_send(f, end);
	int n = PQntuples(r), row = 0;
	/* The rows come in runs by submission; a run's unit is found among the batch's. */
	while (row < n) {
		long long sid = atoll(PQgetvalue(r, row, 0));
		int stop = row;
		while (stop < n && atoll(PQgetvalue(r, stop, 0)) == sid)
			stop++;
		for (size_t k = from; k < end; k++) {
			if (f->sub[k] != sid)
				continue;
			struct consol_unit *u = &d->units[k];
			u->nitems = (size_t)(stop - row);
			u->items = xcalloc(u->nitems, sizeof *u->items);
			for (int q = row; q < stop; q++)
				item_fill(r, q, f->period_end, &u->items[q - row]);
			break;
		}
		row = stop;
	}
	f->batch = r;	/* the items' texts: kept until the batch is dropped */
	f->from = from;
	f->to = end;
	return 0;
}

/* Takes back the items of units [from, to) once written. */
static void feed_drop(void *ctx, size_t from, size_t to)
{
	struct consol_feed *f = ctx;
	if (from == f->from && to == f->to)
		feed_release(f);
}

void consol_feed_batches(struct consol_feed *feed, struct consol_batches *out)
{
	out->fill = feed_fill;
	out->drop = feed_drop;
	out->ctx = feed;
}

void consol_feed_free(struct consol_feed *feed)
{
	if (feed == NULL)
		return;
	feed_release(feed);
	feed_ahead_drop(feed);
	strbuf_free(&feed->ahead_ids);
	free(feed->sub);
	free(feed);
}

/* Orders (unit id, index) pairs by id. */
static int pair_cmp(const void *a, const void *b)
{
	const long long *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* "Chuyên cần": each unit's mark in up to CONSOL_HISTORY - 1 periods before this one, oldest
 * first, and this period's from its state. */
static int load_history(PGconn *conn, const struct period_info *pi, struct consol_doc *d,
			const long long *uid, char **err)
{
	char pid[24], limit[16];
	snprintf(pid, sizeof pid, "%lld", pi->db_id);
	snprintf(limit, sizeof limit, "%d", CONSOL_HISTORY - 1);
	struct strbuf ids = STRBUF_INIT;
	strbuf_addc(&ids, '{');
	for (size_t i = 0; i < d->nunits; i++)
		strbuf_addf(&ids, "%s%lld", i ? "," : "", uid[i]);
	strbuf_addc(&ids, '}');
	const char *p[] = { pid, limit, ids.data };
	PGresult *r = db_run(conn, "consolidate",
		"WITH cur AS (SELECT series_id, starts_on FROM period WHERE id = $1::bigint), "
		"ps AS (SELECT q.id, q.period_key, q.starts_on FROM period q, cur "
		"  WHERE q.series_id = cur.series_id AND q.state <> 'skipped' "
		"    AND q.starts_on < cur.starts_on ORDER BY q.starts_on DESC LIMIT $2::int) "
		"SELECT ps.period_key, pu.unit_id, "
		"  CASE WHEN bool_or(x.on_time AND x.extended_until IS NULL) THEN 'o' "
		"  WHEN bool_or(x.on_time) THEN 'g' "
		"  WHEN count(x.id) > 0 THEN 'l' ELSE 'm' END "
		"FROM ps CROSS JOIN LATERAL period_units(ps.id) pu "
		"LEFT JOIN submission x ON x.period_id = ps.id AND x.unit_id = pu.unit_id "
		"WHERE pu.unit_id = ANY ($3::bigint[]) "
		"GROUP BY ps.period_key, ps.starts_on, pu.unit_id ORDER BY ps.starts_on, pu.unit_id",
		3, p, err);
	strbuf_free(&ids);
	if (r == NULL)
		return -1;
	long long (*pairs)[2] = xcalloc(d->nunits ? d->nunits : 1, sizeof *pairs);
	for (size_t i = 0; i < d->nunits; i++) {
		pairs[i][0] = uid[i];
		pairs[i][1] = (long long)i;
	}
	qsort(pairs, d->nunits, sizeof *pairs, pair_cmp);
	int n = PQntuples(r);
	size_t slot = 0;
	for (int row = 0; row < n; row++) {
		const char *key = PQgetvalue(r, row, 0);
		if (row > 0 && strcmp(key, PQgetvalue(r, row - 1, 0)) != 0)
			slot++;
		if (slot >= CONSOL_HISTORY - 1)
			break;
		if (d->history_labels[slot] == NULL)
			d->history_labels[slot] = period_label(key, pi->period.kind);
		long long key_id[2] = { atoll(PQgetvalue(r, row, 1)), 0 };
		long long (*hit)[2] = bsearch(key_id, pairs, d->nunits, sizeof *pairs, pair_cmp);
		if (hit == NULL)
			continue;
		const char *mark = PQgetvalue(r, row, 2);
		d->units[(*hit)[1]].history[slot] = mark[0] == 'o' ? CONSOL_MARK_ON_TIME :
						  mark[0] == 'g' ? CONSOL_MARK_EXTENDED :
						  mark[0] == 'l' ? CONSOL_MARK_LATE :
						  CONSOL_MARK_MISSING;
	}
	size_t past = n > 0 ? slot + 1 : 0;
	PQclear(r);
	free(pairs);
	d->nhistory = past + 1;
	d->history_labels[past] = period_label(pi->id, pi->period.kind);
	for (size_t i = 0; i < d->nunits; i++) {
		struct consol_unit *u = &d->units[i];
		u->history[past] = u->state == CONSOL_MISSING ? CONSOL_MARK_MISSING :
				   u->late ? CONSOL_MARK_LATE :
				   u->extension ? CONSOL_MARK_EXTENDED : CONSOL_MARK_ON_TIME;
	}
	return 0;
}

/* Loads the document but its items, which the feed reads later; the entries stay the
 * caller's. */
int consol_load(PGconn *conn, const struct period_info *pi, const struct consol_entries *e,
		const struct consol_meta *meta, struct consol_doc *out, struct consol_feed **feed,
		char **err)
{
	memset(out, 0, sizeof *out);
	*feed = NULL;
	long long *sub = NULL, *uid = NULL;
	cal_day first, last;	/* items are judged at the period's last day */
	int minute;
	if (!(pi->has_span && period_bounds(&pi->period, &first, &last) == 0) &&
	    cal_day_of_time(pi->unit_deadline, &last, &minute) != 0)
		last = 0;
	int rc = -1;
	if (load_header(conn, pi, meta, out, err) == 0 &&
	    load_units(conn, e, out, &sub, &uid, err) == 0 &&
	    load_submissions(conn, out, sub, err) == 0 &&
	    load_counts(conn, out, sub, last, err) == 0 &&
	    load_history(conn, pi, out, uid, err) == 0)
		rc = 0;
	free(uid);
	if (rc != 0) {
		free(sub);
		consol_doc_free(out);
		return -1;
	}
	struct consol_feed *f = xcalloc(1, sizeof *f);
	f->conn = conn;
	f->doc = out;
	f->sub = sub;
	f->period_end = last;
	*feed = f;
	return 0;
}
