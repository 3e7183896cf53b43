/* baocaoctl: the admin tool; reads the daemon's configuration and works on its database. The
 * table of commands and the entry point; each command lives in its own ctl_*.c file. */
#include "ctl.h"
#include "auth.h"
#include "clock.h"
#include "series_store.h"
#include "build_config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct command {
	const char *name;
	int (*fn)(struct ctl *ctl, int argc, char **argv);
	bool needs_config;
	const char *usage;
};

static const struct command commands[] = {
	{ "account", ctl_account, true,
	  "account add --login L --unit CODE --role reporter|coordinator|recipient|admin --email E\n"
	  "                [--name NAME] [--password-file FILE]\n"
	  "  account passwd --login L [--password-file FILE]\n"
	  "  account list\n"
	  "  account disable|enable --login L" },
	{ "backup", ctl_backup, true, "backup [--output DIR] [--keep N]" },
	{ "calendar", ctl_calendar, true, "calendar list [YEAR]" },
	{ "consolidate", ctl_consolidate, true, "consolidate SERIES PERIOD|current "
	  "[--version live|cutoff|final [--n N]] [--docx] -o FILE.xlsx|FILE.docx|-" },
	{ "import", ctl_import, true, "import units FILE.csv\n"
	  "  import calendar FILE.csv\n"
	  "  import aliases FILE.csv\n"
	  "  import tasks SERIES FILE.csv|FILE.xlsx [--source DOC]" },
	{ "jobs", ctl_jobs, true, "jobs [SERIES [PERIOD]]" },
	{ "migrate", ctl_migrate, true, "migrate" },
	{ "outbox", ctl_outbox, true, "outbox [--failed]\n"
	  "  outbox retry ID" },
	{ "pdf", ctl_pdf, false, "pdf check FILE.pdf [--trusted-roots PEM] [--json]" },
	{ "period", ctl_period, true, "period show SERIES PERIOD|current\n"
	  "  period override SERIES PERIOD --unit-deadline TIME --consolidation-deadline TIME "
	  "[--note TEXT] | --clear" },
	{ "receipt", ctl_receipt, false, "receipt verify FILE.json [--public-key BASE64]" },
	{ "restore", ctl_restore, true, "restore DIR [--force] [--config-to FILE]" },
	{ "series", ctl_series, true, "series sync|list" },
	{ "setup", ctl_setup, true, "setup [--example ha-tinh] [--admin LOGIN] [--admin-unit CODE] "
	  "[--admin-email E]\n"
	  "        [--pg-admin CONNINFO [--role R] [--database D]]" },
	{ "tasks", ctl_tasks, true, "tasks list SERIES [--unit CODE]" },
	{ "template", ctl_template, true, "template SERIES PERIOD|current UNIT -o FILE.xlsx|-" },
	{ "token", ctl_token, true, "token create --login L [--label TEXT] "
	  "[--expires 90d|12h|YYYY-MM-DD|RFC3339-TIME]\n"
	  "  token list [--login L]\n"
	  "  token revoke ID" },
	{ "unit", ctl_unit, true, "unit webhook-secret CODE [--generate]   (the secret on "
	  "standard input, or made and printed once)" },
	{ "xlsx", ctl_xlsx, false, "xlsx dump FILE.xlsx" },
	{ NULL, NULL, false, NULL },
};

/* Prints the list of commands. */
static void usage(FILE *f)
{
	fprintf(f, "usage: baocaoctl [-c FILE] COMMAND ...\n"
		   "  -c FILE  the daemon's configuration (default: $BAOCAO_CONFIG or %s)\n"
		   "  -V, --version  print the version and exit\n\n"
		   "commands:\n", BAOCAO_CONFIG_FILE);
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %s\n", c->usage);
	fprintf(f, "\nexit status: 0 done, 1 a mistake to correct (the message says how), "
		   "2 an internal failure\n");
}

/* Reads the options, the configuration and the clock, then runs one command. */
int main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	ctl.config_path = getenv("BAOCAO_CONFIG") ? getenv("BAOCAO_CONFIG") : BAOCAO_CONFIG_FILE;
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, 'V' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': ctl.config_path = optarg; break;
		case 'h': usage(stdout); return CTL_OK;
		case 'V': printf("baocaoctl %s\n", BAOCAO_VERSION); return CTL_OK;
		default: usage(stderr); return CTL_USER;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USER;
	}
	const char *name = argv[optind];
	const struct command *cmd = NULL;
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			cmd = c;
	if (cmd == NULL) {
		fprintf(stderr, "error: unknown command '%s'\n\n", name);
		usage(stderr);
		return CTL_USER;
	}
	if (auth_init() != 0) {
		fprintf(stderr, "error: cannot initialise libsodium\n");
		return CTL_INTERNAL;
	}
	if (cmd->needs_config) {
		char *err = NULL;
		if (config_load(ctl.config_path, &ctl.cfg, &err) != 0) {
			fprintf(stderr, "error: %s\n", err);
			free(err);
			config_free(&ctl.cfg);
			return CTL_USER;
		}
		if (setenv("TZ", ctl.cfg.time_zone, 1) != 0) {
			fprintf(stderr, "error: cannot set the time zone\n");
			config_free(&ctl.cfg);
			return CTL_INTERNAL;
		}
		tzset();
	} else {
		config_defaults(&ctl.cfg);
	}
	if (clock_init_from_env() < 0) {
		fprintf(stderr, "error: BAOCAO_FAKE_NOW is not an RFC 3339 time "
			"(e.g. 2026-11-27T10:59:59+07:00)\n");
		config_free(&ctl.cfg);
		return CTL_USER;
	}
	optind++;
	int rc = cmd->fn(&ctl, argc - optind + 1, argv + optind - 1);
	if (ctl.db)
		PQfinish(ctl.db);
	series_store_retire_all();
	config_free(&ctl.cfg);
	return rc;
}
