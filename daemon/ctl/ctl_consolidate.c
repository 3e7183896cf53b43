/* baocaoctl consolidate: writes a period's consolidated workbook, or its .docx draft (--docx),
 * as the API gives them. */
#include "clock.h"
#include "config.h"
#include "consolidation.h"
#include "ctl.h"
#include "periods.h"
#include "series.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "usage: baocaoctl consolidate SERIES PERIOD|current [--version live|cutoff|final " \
	      "[--n N]] [--docx] -o FILE.xlsx|FILE.docx\n" \
	      "  live (default): from the reports there now; cutoff: the draft kept at the units'\n" \
	      "  deadline; final: the delivered version N (default: the newest). -o - writes to\n" \
	      "  standard output. --docx writes the report's draft (.docx) of that version instead\n" \
	      "  of the workbook\n"

/* Parses the options; false after printing the usage. */
static bool parse(int argc, char **argv, const char *pos[2], const char **output,
		  enum consol_edition *edition, int *n, bool *docx)
{
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;
		if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && has_value &&
		    *output == NULL) {
			*output = argv[++i];
		} else if (strcmp(a, "--version") == 0 && has_value) {
			const char *v = argv[++i];
			if (strcmp(v, "live") == 0)
				*edition = CONSOL_LIVE;
			else if (strcmp(v, "cutoff") == 0)
				*edition = CONSOL_CUTOFF;
			else if (strcmp(v, "final") == 0)
				*edition = CONSOL_FINAL;
			else
				goto usage;
		} else if (strcmp(a, "--docx") == 0) {
			*docx = true;
		} else if (strcmp(a, "--n") == 0 && has_value) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end != '\0' || v < 1 || v > 100000)
				goto usage;
			*n = (int)v;
		} else if (a[0] == '-' && a[1] != '\0') {
			goto usage;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			goto usage;
		}
	}
	if (npos == 2 && *output != NULL && (*n == 0 || *edition == CONSOL_FINAL))
		return true;
usage:
	fputs(USAGE, stderr);
	return false;
}

/* baocaoctl consolidate SERIES PERIOD [--version V [--n N]] [--docx] -o FILE */
int ctl_consolidate(struct ctl *ctl, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL }, *output = NULL;
	enum consol_edition edition = CONSOL_LIVE;
	int n = 0;
	bool docx = false;
	if (!parse(argc, argv, pos, &output, &edition, &n, &docx))
		return CTL_USER;
	const struct series_def *s = ctl_find_series(ctl, pos[0]);
	if (s == NULL)
		return CTL_USER;
	/* The document's header reads the settings in force: publish this command's copy. */
	struct config *cfg = xcalloc(1, sizeof *cfg);
	char *err = NULL;
	if (config_load(ctl->config_path, cfg, &err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		free(cfg);
		return CTL_USER;
	}
	config_publish(cfg);
	struct period_info pi;
	enum periods_result pr = periods_lookup(ctl->db, s, pos[1], clock_now(), &pi, &err);
	int rc = CTL_OK;
	if (pr != PERIODS_OK) {
		fprintf(stderr, "error: %s\n", err ? err : "unknown failure");
		free(err);
		rc = pr == PERIODS_DB ? CTL_INTERNAL : CTL_USER;
		goto out;
	}
	if (pi.db_id == 0) {
		fprintf(stderr, "error: %s %s has not opened yet: a running daemon opens each "
			"period on its first day (baocaoctl series sync creates the current one)\n",
			s->name, pi.id);
		period_info_free(&pi);
		rc = CTL_USER;
		goto out;
	}
	struct consolidation_file f;
	enum consolidation_result cr = docx ?
		consolidation_draft(ctl->db, &pi, edition, n, clock_now(), &f, &err) :
		consolidation_get(ctl->db, &pi, edition, n, clock_now(), &f, &err);
	const char *what = docx ? "draft" : "workbook";
	if (cr == CONSOLIDATION_NONE) {
		fprintf(stderr, "error: %s %s has no %s %s yet%s\n", s->name, pi.id,
			edition == CONSOL_CUTOFF ? "cut-off" : "delivered", what,
			edition == CONSOL_CUTOFF ? ": it is made at the units' deadline" :
			n ? " of that number: baocaoctl consolidate ... --version final lists the newest" :
			": one is made on approval, or automatically before the consolidation deadline");
		rc = CTL_USER;
	} else if (cr != CONSOLIDATION_OK) {
		fprintf(stderr, "error: %s\n", err ? err : "unknown failure");
		free(err);
		rc = CTL_INTERNAL;
	} else if (ctl_write_file(output, f.data, f.len) != 0) {
		fprintf(stderr, "error: cannot write %s: %s\n", output, strerror(errno));
		rc = CTL_USER;
	} else {
		FILE *say = strcmp(output, "-") == 0 ? stderr : stdout;
		fprintf(say, "%s: %s %s of %s %s, %zu bytes, sha256 %s\n", output,
			edition == CONSOL_LIVE ? "live" : edition == CONSOL_CUTOFF ? "cut-off" :
			"final", what, s->name, pi.id, f.len, f.sha256);
		if (edition == CONSOL_LIVE)
			fprintf(say, "  %u units expected: %u on time, %u late, %u missing, %u returned\n",
			       f.totals.expected, f.totals.by_state[CONSOL_ON_TIME],
			       f.totals.by_state[CONSOL_LATE], f.totals.by_state[CONSOL_MISSING],
			       f.totals.by_state[CONSOL_RETURNED]);
	}
	if (cr == CONSOLIDATION_OK)
		consolidation_file_free(&f);
	period_info_free(&pi);
out:
	config_retire_all();
	return rc;
}
