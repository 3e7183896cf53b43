/* baocaoctl unit webhook-secret: sets the secret a unit's webhook is signed with, read from
 * standard input or made here and printed once; it is stored sealed and never shown again. */
#include "ctl.h"
#include "keys.h"
#include "unit_webhook.h"
#include "units.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE "usage: baocaoctl unit webhook-secret CODE [--generate]\n" \
	      "  the secret (16 to 256 printable characters) is read from standard input;\n" \
	      "  --generate (or a terminal on standard input) makes one and prints it once\n"

/* Reads the secret from standard input: its first line, without the line end (new string);
 * NULL after saying what is wrong. */
static char *secret_from_stdin(void)
{
	char buf[UNIT_WEBHOOK_SECRET_MAX + 3];
	if (fgets(buf, sizeof buf, stdin) == NULL) {
		fprintf(stderr, "error: no secret on standard input (or use --generate)\n");
		return NULL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	char *secret = xstrdup(buf);
	sodium_memzero(buf, sizeof buf);
	if (!unit_webhook_secret_valid(secret)) {
		fprintf(stderr, "error: a webhook secret has %d to %d printable characters, without "
			"blanks\n", UNIT_WEBHOOK_SECRET_MIN, UNIT_WEBHOOK_SECRET_MAX);
		free(secret);
		return NULL;
	}
	return secret;
}

/* baocaoctl unit webhook-secret CODE [--generate] */
static int webhook_secret_cmd(struct ctl *ctl, const char *code, bool generate)
{
	if (!units_code_valid(code)) {
		fprintf(stderr, "error: '%s' is not a unit code\n", code);
		return CTL_USER;
	}
	generate = generate || isatty(STDIN_FILENO);
	char *secret = generate ? unit_webhook_secret_new() : secret_from_stdin();
	if (secret == NULL)
		return CTL_USER;
	struct keys keys;
	int rc = ctl_load_keys(ctl, &keys);
	PGconn *db = rc == CTL_OK ? ctl_db(ctl) : NULL;
	if (db == NULL) {
		sodium_memzero(&keys, sizeof keys);
		free(secret);
		return rc == CTL_OK ? CTL_USER : rc;
	}
	struct audit_who who = { 0, ctl_actor(), NULL };
	char *err = NULL;
	int done = unit_webhook_secret_set(db, code, secret, keys.mac, &who, &err);
	sodium_memzero(&keys, sizeof keys);
	if (done < 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		rc = CTL_INTERNAL;
	} else if (done == 0) {
		fprintf(stderr, "error: no unit %s; the units are imported with baocaoctl import "
			"units FILE.csv\n", code);
		rc = CTL_USER;
	} else if (generate) {
		/* The only time it is shown: the receiver needs it to check signatures. */
		if (printf("%s\n", secret) < 0 || fflush(stdout) != 0)
			rc = CTL_INTERNAL;
		fprintf(stderr, "the webhook secret of %s is set; give it to the receiver now, it is "
			"not shown again\n", code);
	} else {
		printf("the webhook secret of %s is set\n", code);
	}
	sodium_memzero(secret, strlen(secret));
	free(secret);
	return rc;
}

/* baocaoctl unit webhook-secret CODE [--generate] */
int ctl_unit(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "webhook-secret") == 0) {
		bool generate = argc == 4 && strcmp(argv[3], "--generate") == 0;
		if (argc == 3 || generate)
			return webhook_secret_cmd(ctl, argv[2], generate);
	}
	fputs(USAGE, stderr);
	return CTL_USER;
}
