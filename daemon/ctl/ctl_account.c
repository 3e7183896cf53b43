/* baocaoctl account: accounts, their passwords, and turning them off and on. */
#include "auth.h"
#include "clock.h"
#include "ctl.h"
#include "json.h"
#include "units.h"
#include "util.h"

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

/* Whether a login has the allowed form: 2-64 of a-z 0-9 . _ -, starting with a letter or digit. */
static bool login_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 64 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return false;
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
	if (!login_valid(o.login)) {
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
	if (o.name && !utf8_valid_text(o.name, strlen(o.name))) {
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
	if (db == NULL) {
		free(password);
		free(hash);
		return CTL_USER;
	}
	int rc = CTL_INTERNAL;
	if (!ctl_begin(db))
		goto out;
	PGresult *r;
	const char *p1[] = { o.unit };
	r = ctl_query(db, "SELECT id FROM unit WHERE code = $1", 1, p1);
	if (r == NULL) {
		rc = ctl_finish(db, false, CTL_INTERNAL);
		goto out;
	}
	if (PQntuples(r) == 0) {
		fprintf(stderr, "error: no unit with code '%s'; see the units with psql or import "
			"them first (baocaoctl import units FILE.csv)\n", o.unit);
		PQclear(r);
		rc = ctl_finish(db, false, CTL_USER);
		goto out;
	}
	char *unit_id = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *p2[] = { o.login, o.name ? o.name : "", o.email, unit_id, o.role, hash };
	r = ctl_query(db, "INSERT INTO account (login, display_name, email, unit_id, role, "
		"password_hash) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (login) DO NOTHING "
		"RETURNING id", 6, p2);
	free(unit_id);
	if (r == NULL) {
		rc = ctl_finish(db, false, CTL_INTERNAL);
		goto out;
	}
	if (PQntuples(r) == 0) {
		fprintf(stderr, "error: an account with login '%s' already exists; choose another "
			"login, or reset its password with: baocaoctl account passwd --login %s\n",
			o.login, o.login);
		PQclear(r);
		rc = ctl_finish(db, false, CTL_USER);
		goto out;
	}
	PQclear(r);
	struct strbuf detail = STRBUF_INIT;
	struct json j;
	json_init(&j, &detail);
	json_object_begin(&j);
	json_kv_string(&j, "unit", o.unit);
	json_kv_string(&j, "role", o.role);
	json_kv_string(&j, "email", o.email);
	json_object_end(&j);
	bool ok = ctl_audit(db, "create", "account", o.login, strbuf_str(&detail));
	strbuf_free(&detail);
	rc = ctl_finish(db, ok, CTL_INTERNAL);
	if (rc == CTL_OK) {
		printf("account %s created (%s of %s)\n", o.login, o.role, o.unit);
		if (generated)
			printf("password: %s\n(shown only this once; give it to the user)\n", password);
	}
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
	rc = CTL_INTERNAL;
	if (!ctl_begin(db))
		goto out;
	PGresult *r;
	const char *p[] = { o.login, hash };
	r = ctl_query(db, "UPDATE account SET password_hash = $2, updated_at = now() "
		"WHERE login = $1 RETURNING id", 2, p);
	if (r == NULL || PQntuples(r) == 0) {
		if (r)
			fprintf(stderr, "error: no account with login '%s'; list them with: "
				"baocaoctl account list\n", o.login);
		rc = ctl_finish(db, false, r ? CTL_USER : CTL_INTERNAL);
		PQclear(r);
		goto out;
	}
	PQclear(r);
	/* A new password ends the account's web sessions: a stolen cookie stops working. */
	r = ctl_query(db, "DELETE FROM web_session WHERE account_id = "
		"(SELECT id FROM account WHERE login = $1)", 1, p);
	if (r == NULL) {
		rc = ctl_finish(db, false, CTL_INTERNAL);
		goto out;
	}
	PQclear(r);
	rc = ctl_finish(db, ctl_audit(db, "set_password", "account", o.login, NULL), CTL_INTERNAL);
	if (rc == CTL_OK) {
		printf("password of %s changed\n", o.login);
		if (generated)
			printf("password: %s\n(shown only this once; give it to the user)\n", password);
	}
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
	PGresult *r = ctl_query(db, "SELECT a.login, a.role, u.code, a.email, a.disabled "
			  "FROM account a JOIN unit u ON u.id = a.unit_id ORDER BY a.login", 0, NULL);
	if (r == NULL)
		return CTL_INTERNAL;
	for (int i = 0; i < PQntuples(r); i++)
		printf("%-24s %-12s %-16s %s%s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
		       strcmp(PQgetvalue(r, i, 4), "t") == 0 ? " (disabled)" : "");
	PQclear(r);
	return CTL_OK;
}

/* How many live API tokens (not revoked, not expired) an account has; -1 after printing why not. */
static int live_tokens(PGconn *db, const char *login)
{
	char now[24];
	snprintf(now, sizeof now, "%lld", (long long)clock_now());
	const char *p[] = { login, now };
	PGresult *r = ctl_query(db, "SELECT count(*) FROM api_token t JOIN account a "
				"ON a.id = t.account_id WHERE a.login = $1 AND t.revoked_at IS NULL "
				"AND (t.expires_at IS NULL OR "
				"t.expires_at > to_timestamp($2::bigint))", 2, p);
	if (r == NULL)
		return -1;
	int n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
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
	if (!ctl_begin(db))
		return CTL_INTERNAL;
	PGresult *r;
	const char *p[] = { o.login, disable ? "true" : "false" };
	r = ctl_query(db, "SELECT disabled FROM account WHERE login = $1 FOR UPDATE", 1, p);
	if (r == NULL)
		return ctl_finish(db, false, CTL_INTERNAL);
	if (PQntuples(r) == 0) {
		fprintf(stderr, "error: no account with login '%s'; list them with: "
			"baocaoctl account list\n", o.login);
		PQclear(r);
		return ctl_finish(db, false, CTL_USER);
	}
	bool change = (strcmp(PQgetvalue(r, 0, 0), "t") == 0) != disable;
	PQclear(r);
	if (change) {
		r = ctl_query(db, "UPDATE account SET disabled = $2::boolean, updated_at = now() "
			      "WHERE login = $1", 2, p);
		if (r == NULL)
			return ctl_finish(db, false, CTL_INTERNAL);
		PQclear(r);
	}
	/* The daemon already refuses a disabled account's sessions; deleting them keeps them
	 * from coming back when it is enabled again. Enabling deletes them too: one may have
	 * been opened by a login that raced the disable. */
	int ended = 0;
	if (disable || change) {
		r = ctl_query(db, "DELETE FROM web_session WHERE account_id = "
			      "(SELECT id FROM account WHERE login = $1)", 1, p);
		if (r == NULL)
			return ctl_finish(db, false, CTL_INTERNAL);
		ended = atoi(PQcmdTuples(r));
		PQclear(r);
	}
	int tokens = live_tokens(db, o.login);
	if (tokens < 0)
		return ctl_finish(db, false, CTL_INTERNAL);
	bool ok = true;
	if (change || ended > 0) {
		struct strbuf detail = STRBUF_INIT;
		struct json j;
		json_init(&j, &detail);
		json_object_begin(&j);
		json_kv_int(&j, "web_sessions_ended", ended);
		json_kv_int(&j, "live_api_tokens", tokens);
		json_object_end(&j);
		ok = ctl_audit(db, disable ? "disable" : "enable", "account", o.login,
			       strbuf_str(&detail));
		strbuf_free(&detail);
	}
	int rc = ctl_finish(db, ok, CTL_INTERNAL);
	if (rc != CTL_OK)
		return rc;
	if (!change)
		printf("account %s is already %s%s\n", o.login, disable ? "disabled" : "enabled",
		       ended > 0 ? "" : "; nothing to do");
	else if (disable)
		printf("account %s disabled; its sessions and API tokens are refused from now on\n",
		       o.login);
	else
		printf("account %s enabled\n", o.login);
	if (ended > 0)
		printf("web sessions ended: %d\n", ended);
	if (disable && tokens > 0)
		printf("live API tokens: %d (they work again if the account is enabled; to end them "
		       "for good: baocaoctl token list --login %s, then baocaoctl token revoke ID)\n",
		       tokens, o.login);
	else if (!disable && change && tokens > 0)
		printf("live API tokens: %d (they work again)\n", tokens);
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
