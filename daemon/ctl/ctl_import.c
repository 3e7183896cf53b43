/* baocaoctl import: loads units (and later calendars and tasks) from files. */
#include "ctl.h"
#include "units.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_MAX_SIZE (64 * 1024 * 1024)

/* baocaoctl import units FILE.csv */
static int import_units(struct ctl *ctl, const char *path)
{
	char *data;
	size_t len;
	PGconn *db;
	if (ctl_load_input(ctl, path, IMPORT_MAX_SIZE, &data, &len, &db) != CTL_OK)
		return CTL_USER;
	struct units_import_result res;
	char *err = NULL;
	struct audit_who who = { 0, ctl_actor(), NULL };
	int rc = units_import_csv(db, data, len, &who, &res, &err);
	free(data);
	if (rc != 0) {
		fprintf(stderr, "error: %s: %s\n%s", path, err,
			rc == 1 ? "  nothing was imported; correct the file and run the command again\n"
				: "");
		free(err);
		return rc == 1 ? CTL_USER : CTL_INTERNAL;
	}
	printf("%s: %d units: %d added, %d updated, %d unchanged\n", path, res.rows, res.added,
	       res.updated, res.unchanged);
	/* Series name units and groups: bring their members up to date. */
	return ctl_series_sync(ctl, true);
}

/* Dispatches "import WHAT FILE". */
int ctl_import(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "units") == 0)
		return import_units(ctl, argv[2]);
	if (argc >= 2 && strcmp(argv[1], "calendar") == 0)
		return ctl_import_calendar(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "tasks") == 0)
		return ctl_import_tasks(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "aliases") == 0)
		return ctl_import_aliases(ctl, argc - 1, argv + 1);
	fprintf(stderr, "usage: baocaoctl import units FILE.csv\n"
		"       baocaoctl import calendar FILE.csv\n"
		"       baocaoctl import aliases FILE.csv\n"
		"       baocaoctl import tasks SERIES FILE.csv|FILE.xlsx [--source DOC]\n");
	return CTL_USER;
}
