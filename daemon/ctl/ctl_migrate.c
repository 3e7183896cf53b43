/* baocaoctl migrate: applies the pending schema migrations. */
#include "ctl.h"
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>

/* Applies pending migrations and says how many. */
int ctl_migrate(struct ctl *ctl, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: baocaoctl migrate\n");
		return CTL_USER;
	}
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	char *err = NULL;
	/* A newer schema is the user's to resolve (install the newer baocao), not an error. */
	int newer = migrate_check(db, ctl->cfg.schema_dir, &err);
	if (newer > 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return CTL_USER;
	}
	free(err);
	err = NULL;
	int n = migrate_run(db, ctl->cfg.schema_dir, stdout, &err);
	if (n < 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return CTL_INTERNAL;
	}
	if (n == 0)
		printf("schema is up to date\n");
	else
		printf("applied %d migration%s\n", n, n == 1 ? "" : "s");
	return CTL_OK;
}
