/* baocaoctl template: writes a unit's workbook for a period, the same as the API gives. */
#include "clock.h"
#include "ctl.h"
#include "keys.h"
#include "periods.h"
#include "series.h"
#include "template.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE "usage: baocaoctl template SERIES PERIOD|current UNIT -o FILE.xlsx\n" \
	      "  -o -  writes the workbook to standard output\n"

/* Loads the server's keys; as root, key files it creates go to the daemon's user. */
int ctl_load_keys(struct ctl *ctl, struct keys *k)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	if (geteuid() == 0 && ctl->cfg.user[0]) {
		struct passwd *pw = getpwnam(ctl->cfg.user);
		if (pw == NULL) {
			fprintf(stderr, "error: server.user: no such user '%s' (%s)\n",
				ctl->cfg.user, ctl->config_path);
			return CTL_USER;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	char *err = NULL;
	if (keys_load(ctl->cfg.data_dir, uid, gid, k, &err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return CTL_INTERNAL;
	}
	return CTL_OK;
}

/* Says why there is no workbook and gives the exit code. */
static int build_failure(enum template_result rc, const struct template_file *tf, char *err)
{
	fprintf(stderr, "error: %s\n", err ? err : "unknown failure");
	free(err);
	if (rc == TEMPLATE_REFUSED && tf->refusal == TEMPLATE_UNKNOWN_UNIT)
		fprintf(stderr, "  the units are imported with: baocaoctl import units FILE.csv\n");
	return rc == TEMPLATE_REFUSED ? CTL_USER : CTL_INTERNAL;
}

/* baocaoctl template SERIES PERIOD UNIT -o FILE.xlsx */
int ctl_template(struct ctl *ctl, int argc, char **argv)
{
	const char *pos[3] = { NULL, NULL, NULL }, *output = NULL;
	int npos = 0;
	bool bad = false;
	for (int i = 1; i < argc && !bad; i++) {
		if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
		    i + 1 < argc && output == NULL)
			output = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			bad = true;
		else if (npos < 3)
			pos[npos++] = argv[i];
		else
			bad = true;
	}
	if (bad || npos != 3 || output == NULL) {
		fputs(USAGE, stderr);
		return CTL_USER;
	}
	const struct series_def *s = ctl_find_series(ctl, pos[0]);
	if (s == NULL)
		return CTL_USER;
	struct keys keys;
	int rc = ctl_load_keys(ctl, &keys);
	if (rc != CTL_OK)
		return rc;
	struct period_info pi;
	char *err = NULL;
	enum periods_result pr = periods_compute(ctl->db, s, pos[1], clock_now(), &pi, &err);
	if (pr != PERIODS_OK) {
		sodium_memzero(&keys, sizeof keys);
		fprintf(stderr, "error: %s\n", err ? err : "unknown failure");
		free(err);
		return pr == PERIODS_DB ? CTL_INTERNAL : CTL_USER;
	}
	struct template_file tf;
	enum template_result tr = template_build(ctl->db, &pi, pos[2], keys.mac, &tf, &err);
	sodium_memzero(&keys, sizeof keys);
	if (tr != TEMPLATE_OK) {
		rc = build_failure(tr, &tf, err);
	} else if (ctl_write_file(output, tf.data, tf.len) != 0) {
		fprintf(stderr, "error: cannot write %s: %s\n", output, strerror(errno));
		rc = CTL_USER;
	} else {
		fprintf(strcmp(output, "-") == 0 ? stderr : stdout,
			"%s: workbook of %s (%s), %s %s: %zu tasks, %zu carried forward\n",
			output, pos[2], tf.unit_name, s->name, pi.id, tf.tasks, tf.carried);
		rc = CTL_OK;
	}
	template_file_free(&tf);
	period_info_free(&pi);
	return rc;
}
