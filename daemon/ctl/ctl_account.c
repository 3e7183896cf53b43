/* baocaoctl account: accounts, their passwords, and turning them off and on. */
#include "accounts.h"
#include "auth.h"
#include "clock.h"
#include "ctl.h"
#include "json.h"
#include "units.h"
#include "util.h"
#include "xmltext.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_PASSWORD 10

struct account_opts {
	const char *login, *unit, *role, *email, *name, *password_file;
};

/* Parses --login and friends; returns false after printing what is wrong. */
static bool parse_opts(int argc, char **argv, struct account_opts *o, const char *usage)
{
	static const struct option longopts[] = {
		{ "login", required_argument, NULL, 'l' },
		{ "unit", required_argument, NULL, 'u' },
		{ "role", required_argument, NULL, 'r' },
		{ "email", required_argument, NULL, 'e' },
		{ "name", required_argument, NULL, 'n' },
		{ "password-file", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof *o);
	optind = 0;	/* 0: a full restart of getopt, forgetting the "+" of main's call */
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->login = optarg; break;
		case 'u': o->unit = optarg; break;
		case 'r': o->role = optarg; break;
		case 'e': o->email = optarg; break;
		case 'n': o->name = optarg; break;
		case 'p': o->password_file = optarg; break;
		default:
			fprintf(stderr, "usage: %s\n", usage);
			return false;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "error: unexpected argument '%s'\nusage: %s\n", argv[optind], usage);
		return false;
	}
	return true;
}

/* Reads a password from the first line of a file, or makes one (then *generated is set). */
static char *obtain_password(const char *path, bool *generated)
{
	*generated = false;
	if (path == NULL) {
		*generated = true;
		return auth_password_generate();
	}
	char *data;
	size_t len;
	if (file_read_all(path, 4096, &data, &len) != 0) {
		fprintf(stderr, "error: cannot read the password file %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	data[strcspn(data, "\r\n")] = '\0';
	if (strlen(data) < MIN_PASSWORD) {
		fprintf(stderr, "error: the password in %s is shorter than %d characters; "
			"choose a longer one\n", path, MIN_PASSWORD);
		free(data);
		return NULL;
	}
	return data;
}

/* account add */
static int account_add(struct ctl *ctl, int argc, char **argv)
{
	const char *usage = "baocaoctl account add --login L --unit CODE --role "
			    "reporter|coordinator|recipient|admin --email E [--name NAME] "
			    "[--password-file FILE]";
	struct account_opts o;
	if (!parse_opts(argc, argv, &o, usage))
		return CTL_USER;
	if (!o.login || !o.unit || !o.role || !o.email) {
		fprintf(stderr, "error: --login, --unit, --role and --email are required\n"
			"usage: %s\n", usage);
		return CTL_USER;
	}
	if (!accounts_login_valid(o.login)) {
		fprintf(stderr, "error: invalid login '%s': use 2 to 64 of a-z, 0-9, '.', '_' "
			"and '-', starting with a letter or digit\n", o.login);
		return CTL_USER;
	}
	if (strcmp(o.role, "reporter") && strcmp(o.role, "coordinator") &&
	    strcmp(o.role, "recipient") && strcmp(o.role, "admin")) {
		fprintf(stderr, "error: invalid role '%s': use reporter, coordinator, recipient "
			"or admin\n", o.role);
		return CTL_USER;
	}
	if (!units_email_valid(o.email)) {
		fprintf(stderr, "error: invalid e-mail address '%s'\n", o.email);
		return CTL_USER;
	}
	if (o.name && !xmltext_valid(o.name, strlen(o.name))) {
		fprintf(stderr, "error: the name is not UTF-8 text\n");
		return CTL_USER;
	}
	bool generated;
	char *password = obtain_password(o.password_file, &generated);
	if (password == NULL)
		return CTL_USER;
	char *hash = auth_password_hash(password);
	if (hash == NULL) {
		fprintf(stderr, "error: cannot hash the password (out of memory)\n");
		free(password);
		return CTL_INTERNAL;
	}
	PGconn *db = ctl_db(ctl);
	int rc = CTL_USER;
	if (db == NULL)
		goto out;
	struct accounts_new a = { o.login, o.name, o.email, o.unit, o.role, hash };
	struct audit_who who = { 0, ctl_actor(), NULL };
	char *err = NULL;
	switch (accounts_create(db, &a, &who, &err)) {
	case ACCOUNTS_OK:
		rc = CTL_OK;
		printf("account %s created (%s of %s)\n", o.login, o.role, o.unit);
		if (generated)
			printf("password: %s\n(shown only this once; give it to the user)\n", password);
		break;
	case ACCOUNTS_NO_UNIT:
		fprintf(stderr, "error: no unit with code '%s'; see the units with psql or import "
			"them first (baocaoctl import units FILE.csv)\n", o.unit);
		break;
	case ACCOUNTS_EXISTS:
		fprintf(stderr, "error: an account with login '%s' already exists; choose another "
			"login, or reset its password with: baocaoctl account passwd --login %s\n",
			o.login, o.login);
		break;
	default:
		fprintf(stderr, "error: %s\n", err ? err : "cannot create the account");
		rc = CTL_INTERNAL;
	}
	free(err);
out:
	free(password);
	free(hash);
	return rc;
}

/* account passwd: sets a new password. */
static int account_passwd(struct ctl *ctl, int argc, char **argv)
{
	const char *usage = "baocaoctl account passwd --login L [--password-file FILE]";
	struct account_opts o;
	if (!parse_opts(argc, argv, &o, usage))
		return CTL_USER;
	if (!o.login) {
		fprintf(stderr, "error: --login is required\nusage: %s\n", usage);
		return CTL_USER;
	}
	bool generated;
	char *password = obtain_password(o.password_file, &generated);
	if (password == NULL)
		return CTL_USER;
	char *hash = auth_password_hash(password);
	PGconn *db = hash ? ctl_db(ctl) : NULL;
	int rc = hash ? CTL_USER : CTL_INTERNAL;
	if (db == NULL)
		goto out;
	/* A new password ends the account's web sessions and revokes its API tokens: a stolen
	 * cookie or a token made with the old password stops working. On the server an
	 * administrator's password may be reset too (the way back into a locked-out install). */
	struct audit_who who = { 0, ctl_actor(), NULL };
	struct accounts_reset reset;
	char *err = NULL;
	switch (accounts_set_password(db, o.login, hash, NULL, &who, false, &reset, &err)) {
	case ACCOUNTS_OK:
		rc = CTL_OK;
		printf("password of %s changed; web sessions ended: %lld, API tokens revoked: %lld\n",
		       o.login, reset.ended, reset.revoked);
		if (generated)
			printf("password: %s\n(shown only this once; give it to the user)\n", password);
		break;
	case ACCOUNTS_NOT_FOUND:
		fprintf(stderr, "error: no account with login '%s'; list them with: "
			"baocaoctl account list\n", o.login);
		rc = CTL_USER;
		break;
	default:
		fprintf(stderr, "error: %s\n", err ? err : "cannot set the password");
		rc = CTL_INTERNAL;
	}
	free(err);
out:
	free(password);
	free(hash);
	return rc;
}

/* account list: one line per account. */
static int account_list(struct ctl *ctl, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: baocaoctl account list\n");
		return CTL_USER;
	}
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	char *err = NULL;
	PGresult *r = accounts_list(db, &err);
	if (r == NULL) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return CTL_INTERNAL;
	}
	/* login, role, unit, email of accounts_list */
	for (int i = 0; i < PQntuples(r); i++)
		printf("%-24s %-12s %-16s %s%s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 5),
		       PQgetvalue(r, i, 3), PQgetvalue(r, i, 2),
		       strcmp(PQgetvalue(r, i, 6), "t") == 0 ? " (disabled)" : "");
	PQclear(r);
	return CTL_OK;
}

/* Says so when no enabled administrator is left (the admin pages refuse this; here the
 * server's operator may do it, e.g. to lock everyone out while investigating). */
static void warn_no_admin(PGconn *db)
{
	PGresult *r = ctl_query(db, "SELECT count(*) FROM account WHERE role = 'admin' AND "
				"NOT disabled", 0, NULL);
	if (r == NULL)
		return;	/* ctl_query printed why; the change itself is done */
	if (atoll(PQgetvalue(r, 0, 0)) == 0)
		fprintf(stderr, "warning: no enabled administrator is left; enable one with: "
			"baocaoctl account enable --login L\n");
	PQclear(r);
}

/* account disable|enable: turns an account off (ending its web sessions) or on again. */
static int account_set_disabled(struct ctl *ctl, int argc, char **argv, bool disable)
{
	const char *usage = disable ? "baocaoctl account disable --login L"
				    : "baocaoctl account enable --login L";
	struct account_opts o;
	if (!parse_opts(argc, argv, &o, usage))
		return CTL_USER;
	if (!o.login || o.unit || o.role || o.email || o.name || o.password_file) {
		fprintf(stderr, "error: account %s takes --login and nothing else\nusage: %s\n",
			argv[0], usage);
		return CTL_USER;
	}
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	struct audit_who who = { 0, ctl_actor(), NULL };
	struct accounts_switch sw;
	char *err = NULL;
	enum accounts_result ar = accounts_set_disabled(db, o.login, disable, clock_now(), &who,
							false, &sw, &err);
	if (ar == ACCOUNTS_NOT_FOUND) {
		fprintf(stderr, "error: no account with login '%s'; list them with: "
			"baocaoctl account list\n", o.login);
		return CTL_USER;
	}
	if (ar != ACCOUNTS_OK) {
		fprintf(stderr, "error: %s\n", err ? err : "cannot change the account");
		free(err);
		return CTL_INTERNAL;
	}
	bool change = sw.changed;
	long long ended = sw.ended, tokens = sw.tokens;
	if (!change)
		printf("account %s is already %s%s\n", o.login, disable ? "disabled" : "enabled",
		       ended > 0 ? "" : "; nothing to do");
	else if (disable)
		printf("account %s disabled; its sessions and API tokens are refused from now on\n",
		       o.login);
	else
		printf("account %s enabled\n", o.login);
	if (ended > 0)
		printf("web sessions ended: %lld\n", ended);
	if (disable && tokens > 0)
		printf("live API tokens: %lld (they work again if the account is enabled; to end them "
		       "for good: baocaoctl token list --login %s, then baocaoctl token revoke ID)\n",
		       tokens, o.login);
	else if (!disable && change && tokens > 0)
		printf("live API tokens: %lld (they work again)\n", tokens);
	if (disable && change)
		warn_no_admin(db);
	return CTL_OK;
}

/* Dispatches "account add|passwd|list|disable|enable". */
int ctl_account(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return account_add(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "passwd") == 0)
		return account_passwd(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return account_list(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "disable") == 0)
		return account_set_disabled(ctl, argc - 1, argv + 1, true);
	if (argc >= 2 && strcmp(argv[1], "enable") == 0)
		return account_set_disabled(ctl, argc - 1, argv + 1, false);
	fprintf(stderr, "usage: baocaoctl account add|passwd|list|disable|enable ...\n");
	return CTL_USER;
}
