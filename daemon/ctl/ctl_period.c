/* baocaoctl series and period: the series' copy in the database, period deadlines, overrides. */
#include "clock.h"
#include "ctl.h"
#include "json.h"
#include "periods.h"
#include "series.h"
#include "series_store.h"
#include "util.h"
#include "xmltext.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies the series file's definitions into the database, where the daemons read them;
 * prints why when it cannot. */
int ctl_series_sync(struct ctl *ctl, bool quiet)
{
	if (ctl->cfg.series_file[0] == '\0') {
		if (!quiet)
			printf("no series file configured ([server] series_file): nothing to do\n");
		return CTL_OK;
	}
	struct series_list file;
	char *err = NULL;
	if (series_load(ctl->cfg.series_file, &file, &err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return CTL_USER;
	}
	PGconn *db = ctl_db(ctl);
	if (db == NULL) {
		series_list_free(&file);
		return CTL_USER;
	}
	int rc = series_sync(db, &file, &err);
	if (rc != 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		series_list_free(&file);
		return rc == 1 ? CTL_USER : CTL_INTERNAL;
	}
	if (!quiet)
		printf("%zu series synced from %s; running daemons take them up within a minute "
		       "(at once on SIGHUP)\n", file.n, ctl->cfg.series_file);
	series_list_free(&file);
	return ctl_periods_sync(ctl);
}

/* The series in the database, as the daemons read them; NULL after printing why not. */
const struct series_list *ctl_series_list(struct ctl *ctl)
{
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return NULL;
	char *err = NULL;
	if (series_store_refresh(db, false, &err) < 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return NULL;
	}
	return series_current();
}

/* Creates the periods of every series up to the next one and refreshes the deadlines of the
 * open ones, as the daemon does every minute (after an import, at once). */
int ctl_periods_sync(struct ctl *ctl)
{
	const struct series_list *list = ctl_series_list(ctl);
	if (list == NULL)
		return CTL_INTERNAL;
	for (size_t i = 0; i < list->n; i++) {
		char *err = NULL;
		enum periods_result rc = periods_sync(ctl->db, &list->items[i], clock_now(), &err);
		if (rc != PERIODS_OK) {
			fprintf(stderr, "error: periods of %s: %s\n", list->items[i].name,
				err ? err : "failed");
			free(err);
			return rc == PERIODS_DB ? CTL_INTERNAL : CTL_USER;
		}
	}
	ctl_announce(ctl);
	return CTL_OK;
}

/* Finds a series in the database; prints the known ones when it is not there. */
const struct series_def *ctl_find_series(struct ctl *ctl, const char *name)
{
	const struct series_list *list = ctl_series_list(ctl);
	if (list == NULL)
		return NULL;
	const struct series_def *s = series_find(list, name);
	if (s == NULL) {
		fprintf(stderr, "error: unknown series '%s'; the series in the database are:", name);
		for (size_t i = 0; i < list->n; i++)
			fprintf(stderr, " %s", list->items[i].name);
		fprintf(stderr, "%s\n", list->n ? "" : " none (run baocaoctl series sync)");
	}
	return s;
}

/* baocaoctl series sync|list */
int ctl_series(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "sync") == 0)
		return ctl_series_sync(ctl, false);
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		const struct series_list *list = ctl_series_list(ctl);
		if (list == NULL)
			return CTL_INTERNAL;
		for (size_t i = 0; i < list->n; i++) {
			const struct series_def *s = &list->items[i];
			char ur[CAL_RULE_BUF] = "-", cr[CAL_RULE_BUF] = "-";
			if (s->has_rules) {
				cal_rule_format(&s->unit_rule, ur);
				cal_rule_format(&s->consolidation_rule, cr);
			}
			printf("%-28s %-12s units %-12s consolidation %-12s %s\n", s->name,
			       period_kind_name(s->kind), ur, cr, s->title);
		}
		return CTL_OK;
	}
	fprintf(stderr, "usage: baocaoctl series sync|list\n");
	return CTL_USER;
}

/* Prints what a periods_* failure means and gives the exit code. */
static int period_failure(enum periods_result rc, char *err)
{
	fprintf(stderr, "error: %s\n", err ? err : "unknown failure");
	free(err);
	return rc == PERIODS_DB ? CTL_INTERNAL : CTL_USER;
}

/* baocaoctl period show SERIES PERIOD */
static int period_show(struct ctl *ctl, int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: baocaoctl period show SERIES PERIOD|current\n");
		return CTL_USER;
	}
	const struct series_def *s = ctl_find_series(ctl, argv[1]);
	if (s == NULL)
		return CTL_USER;
	struct period_info pi;
	char *err = NULL;
	enum periods_result pr = periods_compute(ctl->db, s, argv[2], clock_now(), &pi, &err);
	if (pr != PERIODS_OK)
		return period_failure(pr, err);
	struct strbuf out = STRBUF_INIT;
	struct json j;
	json_init(&j, &out);
	period_info_json(&j, &pi);
	printf("%s\n", out.data);
	strbuf_free(&out);
	period_info_free(&pi);
	return CTL_OK;
}

/* baocaoctl period override SERIES PERIOD --unit-deadline T --consolidation-deadline T */
static int period_override(struct ctl *ctl, int argc, char **argv)
{
	const char *usage = "baocaoctl period override SERIES PERIOD --unit-deadline TIME "
			    "--consolidation-deadline TIME [--note TEXT]\n"
			    "       baocaoctl period override SERIES PERIOD --clear\n"
			    "  TIME: 2026-05-04T11:00:00+07:00 or \"2026-05-04 11:00\" (local time)";
	static const struct option longopts[] = {
		{ "unit-deadline", required_argument, NULL, 'u' },
		{ "consolidation-deadline", required_argument, NULL, 'c' },
		{ "note", required_argument, NULL, 'n' },
		{ "clear", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	const char *unit = NULL, *cons = NULL, *note = "";
	bool clear = false;
	int c;
	optind = 0;	/* 0: a full restart of getopt, forgetting the "+" of main's call */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'u': unit = optarg; break;
		case 'c': cons = optarg; break;
		case 'n': note = optarg; break;
		case 'x': clear = true; break;
		default: fprintf(stderr, "usage: %s\n", usage); return CTL_USER;
		}
	}
	if (argc - optind != 2 || (clear && (unit || cons)) || (!clear && (!unit || !cons))) {
		fprintf(stderr, "usage: %s\n", usage);
		return CTL_USER;
	}
	time_t ut = 0, ct = 0;
	if (!clear && (periods_parse_time(unit, &ut) != 0 || periods_parse_time(cons, &ct) != 0)) {
		fprintf(stderr, "error: cannot read the time '%s'; write it as "
			"2026-05-04T11:00:00+07:00 or \"2026-05-04 11:00\"\n",
			periods_parse_time(unit, &ut) != 0 ? unit : cons);
		return CTL_USER;
	}
	if (!xmltext_valid(note, strlen(note))) {
		fprintf(stderr, "error: the note is not UTF-8 text\n");
		return CTL_USER;
	}
	const struct series_def *s = ctl_find_series(ctl, argv[optind]);
	if (s == NULL)
		return CTL_USER;
	char *err = NULL;
	enum periods_result pr = periods_override(ctl->db, s, argv[optind + 1], clear, ut, ct, note,
						  0, ctl_actor(), clock_now(), &err);
	if (pr != PERIODS_OK)
		return period_failure(pr, err);
	ctl_announce(ctl);
	char *show[] = { "show", argv[optind], argv[optind + 1], NULL };
	return period_show(ctl, 3, show);
}

/* baocaoctl period show|override ... */
int ctl_period(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return period_show(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "override") == 0)
		return period_override(ctl, argc - 1, argv + 1);
	fprintf(stderr, "usage: baocaoctl period show SERIES PERIOD|current\n"
		"       baocaoctl period override SERIES PERIOD --unit-deadline TIME "
		"--consolidation-deadline TIME [--note TEXT] | --clear\n");
	return CTL_USER;
}
