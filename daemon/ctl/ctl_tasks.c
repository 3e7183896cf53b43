/* baocaoctl import tasks, import aliases and tasks list: the task catalogue. */
#include "ctl.h"
#include "tasks.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASKS_FILE_MAX (64 * 1024 * 1024)

/* Prints an import failure the way every import command does. */
static int report_failure(const char *path, int rc, char *err)
{
	fprintf(stderr, "error: %s: %s\n%s", path, err,
		rc == 1 ? "  nothing was imported; correct the file and run the command again\n"
			: "");
	free(err);
	return rc == 1 ? CTL_USER : CTL_INTERNAL;
}

/* The last part of a path. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* baocaoctl import tasks SERIES FILE [--source DOC] */
int ctl_import_tasks(struct ctl *ctl, int argc, char **argv)
{
	const char *series = NULL, *path = NULL, *source = NULL;
	bool bad = false;
	for (int i = 1; i < argc && !bad; i++) {
		if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
			source = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			bad = true;
		else if (series == NULL)
			series = argv[i];
		else if (path == NULL)
			path = argv[i];
		else
			bad = true;
	}
	if (bad || path == NULL) {
		fprintf(stderr, "usage: baocaoctl import tasks SERIES FILE.csv|FILE.xlsx "
			"[--source DOCUMENT]\n"
			"  the columns: TT, Nội dung, Cơ quan chủ trì, Cơ quan phối hợp, Kết quả, "
			"Thời gian hoàn thành, optionally Mã nhiệm vụ\n");
		return CTL_USER;
	}
	char *data;
	size_t len;
	PGconn *db;
	if (ctl_load_input(ctl, path, TASKS_FILE_MAX, &data, &len, &db) != CTL_OK)
		return CTL_USER;
	struct tasks_import_result res;
	char *err = NULL;
	int rc = tasks_import(db, series, base_name(path), data, len, source, ctl_actor(), &res,
			      &err);
	free(data);
	if (rc != 0)
		return report_failure(path, rc, err);
	printf("%s: %d tasks: %d added, %d updated, %d unchanged, %d deactivated\n", path,
	       res.tasks, res.added, res.updated, res.unchanged, res.deactivated);
	ctl_announce(ctl);
	return CTL_OK;
}

/* baocaoctl import aliases FILE.csv */
int ctl_import_aliases(struct ctl *ctl, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: baocaoctl import aliases FILE.csv  (columns phrase,units"
			"[,note]; units: unit codes and group:NAME separated by spaces, or empty)\n");
		return CTL_USER;
	}
	const char *path = argv[1];
	char *data;
	size_t len;
	PGconn *db;
	if (ctl_load_input(ctl, path, TASKS_FILE_MAX, &data, &len, &db) != CTL_OK)
		return CTL_USER;
	struct tasks_aliases_result res;
	char *err = NULL;
	int rc = tasks_aliases_import(db, data, len, ctl_actor(), &res, &err);
	free(data);
	if (rc != 0)
		return report_failure(path, rc, err);
	printf("%s: %d aliases: %d added, %d updated, %d unchanged\n", path, res.rows, res.added,
	       res.updated, res.unchanged);
	return CTL_OK;
}

/* Active units by group, to print a lead list that covers a whole group as group:NAME. */
struct groups {
	PGresult *units;	/* code, unit_group of the active units */
};

/* Whether every active unit of group is among codes[0..n). */
static bool covers_group(const struct groups *g, const char *group, char **codes, size_t n)
{
	for (int i = 0; i < PQntuples(g->units); i++) {
		if (strcmp(PQgetvalue(g->units, i, 1), group) != 0)
			continue;
		bool found = false;
		for (size_t k = 0; k < n && !found; k++)
			found = strcmp(codes[k], PQgetvalue(g->units, i, 0)) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* The group of an active unit, or NULL. */
static const char *group_of(const struct groups *g, const char *code)
{
	for (int i = 0; i < PQntuples(g->units); i++)
		if (strcmp(PQgetvalue(g->units, i, 0), code) == 0)
			return PQgetvalue(g->units, i, 1);
	return NULL;
}

/* Writes space-separated codes as a comma-separated list, whole groups as group:NAME. */
static char *lead_list(const struct groups *g, const char *codes_text)
{
	char **codes = NULL;
	size_t n = 0;
	char *copy = xstrdup(codes_text), *save = NULL;
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		codes = xrealloc(codes, (n + 1) * sizeof *codes);
		codes[n++] = w;
	}
	struct strbuf sb = STRBUF_INIT;
	const char **done_groups = xmalloc((n ? n : 1) * sizeof *done_groups);
	size_t ndone = 0;
	for (size_t i = 0; i < n; i++) {
		const char *group = group_of(g, codes[i]);
		bool whole = group && covers_group(g, group, codes, n);
		bool printed = false;
		for (size_t k = 0; whole && k < ndone; k++)
			printed = printed || strcmp(done_groups[k], group) == 0;
		if (printed)
			continue;
		if (whole) {
			done_groups[ndone++] = group;
			strbuf_addf(&sb, "%sgroup:%s", sb.len ? "," : "", group);
		} else {
			strbuf_addf(&sb, "%s%s", sb.len ? "," : "", codes[i]);
		}
	}
	free(done_groups);
	free(codes);
	free(copy);
	return strbuf_detach(&sb);
}

/* Checks that a series exists; prints why not. Returns an exit code. */
static int check_series(PGconn *db, const char *series)
{
	const char *params[] = { series };
	PGresult *r = ctl_query(db, "SELECT 1 FROM series WHERE name = $1", 1, params);
	if (r == NULL)
		return CTL_INTERNAL;
	int n = PQntuples(r);
	PQclear(r);
	if (n == 0) {
		fprintf(stderr, "error: unknown series '%s': define it in the series file and run "
			"baocaoctl series sync\n", series);
		return CTL_USER;
	}
	return CTL_OK;
}

/* Checks that a unit exists; prints why not. Returns an exit code. */
static int check_unit(PGconn *db, const char *code)
{
	const char *params[] = { code };
	PGresult *r = ctl_query(db, "SELECT 1 FROM unit WHERE code = $1", 1, params);
	if (r == NULL)
		return CTL_INTERNAL;
	int n = PQntuples(r);
	PQclear(r);
	if (n == 0) {
		fprintf(stderr, "error: unknown unit '%s' (see the codes of the units file)\n", code);
		return CTL_USER;
	}
	return CTL_OK;
}

/* baocaoctl tasks list SERIES [--unit CODE]: one line per active task. */
int ctl_tasks(struct ctl *ctl, int argc, char **argv)
{
	const char *series = NULL, *unit = NULL;
	bool bad = argc < 2 || strcmp(argv[1], "list") != 0;
	for (int i = 2; i < argc && !bad; i++) {
		if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc)
			unit = argv[++i];
		else if (argv[i][0] != '-' && series == NULL)
			series = argv[i];
		else
			bad = true;
	}
	if (bad || series == NULL) {
		fprintf(stderr, "usage: baocaoctl tasks list SERIES [--unit CODE]\n");
		return CTL_USER;
	}
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	int rc = check_series(db, series);
	if (rc == CTL_OK && unit)
		rc = check_unit(db, unit);
	if (rc != CTL_OK)
		return rc;
	struct groups g;
	g.units = ctl_query(db, "SELECT code, unit_group FROM unit WHERE active ORDER BY id", 0,
			    NULL);
	if (g.units == NULL)
		return CTL_INTERNAL;
	const char *params[] = { series, unit };
	PGresult *r = ctl_query(db,
		"SELECT t.code, coalesce(to_char(t.deadline, 'YYYY-MM-DD'), '-'), "
		"  coalesce(string_agg(u.code, ' ' ORDER BY u.id) FILTER (WHERE tu.role = 'lead'), ''), "
		"  t.title "
		"FROM task t JOIN series s ON s.id = t.series_id "
		"LEFT JOIN task_unit tu ON tu.task_id = t.id LEFT JOIN unit u ON u.id = tu.unit_id "
		"WHERE s.name = $1 AND t.active AND ($2::text IS NULL OR EXISTS ("
		"  SELECT 1 FROM task_unit x JOIN unit ux ON ux.id = x.unit_id "
		"  WHERE x.task_id = t.id AND ux.code = $2)) "
		"GROUP BY t.id ORDER BY t.ordinal, t.code", 2, params);
	if (r == NULL) {
		PQclear(g.units);
		return CTL_INTERNAL;
	}
	int width = 4;
	for (int i = 0; i < PQntuples(r); i++)
		if ((int)strlen(PQgetvalue(r, i, 0)) > width)
			width = (int)strlen(PQgetvalue(r, i, 0));
	for (int i = 0; i < PQntuples(r); i++) {
		char *leads = lead_list(&g, PQgetvalue(r, i, 2));
		printf("%-*s  %-10s  %s  %s\n", width, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		       leads, PQgetvalue(r, i, 3));
		free(leads);
	}
	PQclear(r);
	PQclear(g.units);
	return CTL_OK;
}
