/* baocaoctl token: API tokens: create (with an expiry), list, revoke. */
#include "auth.h"
#include "clock.h"
#include "ctl.h"
#include "json.h"
#include "util.h"
#include "xmltext.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LABEL 200		/* bytes of a token's label */
#define MAX_DAYS 3650		/* the longest lifetime --expires gives: ten years */
#define TIME_FORMAT "YYYY-MM-DD HH24:MI"	/* times as the commands print them (to_char) */
#define LIST_COLUMNS 7

static const char create_usage[] =
	"baocaoctl token create --login L [--label TEXT] [--expires 90d|12h|YYYY-MM-DD|RFC3339-TIME]";
static const char list_usage[] = "baocaoctl token list [--login L]";
static const char revoke_usage[] = "baocaoctl token revoke ID";

struct token_opts {
	const char *login, *label, *expires;
};

/* Parses the options of a token command; those whose letter is not in allowed ('l' login,
 * 'L' label, 'e' expires) are refused. False after printing what is wrong. */
static bool parse_opts(int argc, char **argv, const char *allowed, struct token_opts *o,
		       const char *usage)
{
	static const struct option longopts[] = {
		{ "login", required_argument, NULL, 'l' },
		{ "label", required_argument, NULL, 'L' },
		{ "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof *o);
	optind = 0;	/* 0: a full restart of getopt, forgetting the "+" of main's call */
	int c, which = 0;
	while ((c = getopt_long(argc, argv, "", longopts, &which)) != -1) {
		if (c == '?' || strchr(allowed, c) == NULL) {
			if (c != '?')
				fprintf(stderr, "error: token %s does not take --%s\n", argv[0],
					longopts[which].name);
			fprintf(stderr, "usage: %s\n", usage);
			return false;
		}
		switch (c) {
		case 'l': o->login = optarg; break;
		case 'L': o->label = optarg; break;
		case 'e': o->expires = optarg; break;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "error: unexpected argument '%s'\nusage: %s\n", argv[optind], usage);
		return false;
	}
	return true;
}

/* When a token made now stops working: SQL that computes it from $4, and $4's text. */
struct expiry {
	const char *sql;	/* NULL: the token does not expire */
	char value[24];
};

/* Whether s is a real calendar date written YYYY-MM-DD. */
static bool date_valid(const char *s)
{
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return false;
	return m != 2 || d < 29 || leap;
}

/*
 * Reads --expires: a duration (90d, 12h), a date (the token works to the end of that day in
 * the configured time zone, which is the session's) or an RFC 3339 time. The result is
 * computed by PostgreSQL from the clock the daemon checks tokens against (clock.c).
 * False after printing what is wrong.
 */
static bool expiry_parse(const char *s, struct expiry *e)
{
	memset(e, 0, sizeof *e);
	if (s == NULL)
		return true;
	size_t n = strlen(s);
	if (n >= 2 && n <= 7 && strspn(s, "0123456789") == n - 1 &&
	    (s[n - 1] == 'd' || s[n - 1] == 'h')) {
		bool daily = s[n - 1] == 'd';
		long v = strtol(s, NULL, 10), max = daily ? MAX_DAYS : MAX_DAYS * 24L;
		if (v < 1 || v > max) {
			fprintf(stderr, "error: --expires %s: give from 1 to %ld %s\n", s, max,
				daily ? "days" : "hours");
			return false;
		}
		snprintf(e->value, sizeof e->value, "%ld", v);
		e->sql = daily ? "to_timestamp($4::bigint) + make_interval(days => $5::int)"
			       : "to_timestamp($4::bigint) + make_interval(hours => $5::int)";
		return true;
	}
	if (date_valid(s)) {
		snprintf(e->value, sizeof e->value, "%s", s);
		e->sql = "($5::date + 1)::timestamptz";
		return true;
	}
	time_t t;
	if (clock_parse_rfc3339(s, &t) == 0) {
		snprintf(e->value, sizeof e->value, "%lld", (long long)t);
		e->sql = "to_timestamp($5::bigint)";
		return true;
	}
	fprintf(stderr, "error: cannot read --expires '%s'; write a duration such as 90d or 12h, "
		"a date such as 2027-06-30 (the token works to the end of that day), or a time "
		"such as 2027-06-30T17:00:00+07:00\n", s);
	return false;
}

/* Checks that an account exists and is enabled, locking it until the transaction ends;
 * returns its id (new string), or NULL after printing why not (*rc says which exit code). */
static char *enabled_account(PGconn *db, const char *login, int *rc)
{
	const char *p[] = { login };
	PGresult *r = ctl_query(db, "SELECT id, disabled FROM account WHERE login = $1 FOR SHARE",
				1, p);
	*rc = r ? CTL_USER : CTL_INTERNAL;
	if (r == NULL)
		return NULL;
	char *id = NULL;
	if (PQntuples(r) == 0)
		fprintf(stderr, "error: no enabled account with login '%s': there is no such "
			"account; list them with: baocaoctl account list\n", login);
	else if (strcmp(PQgetvalue(r, 0, 1), "t") == 0)
		fprintf(stderr, "error: no enabled account with login '%s': it is disabled; enable "
			"it first with: baocaoctl account enable --login %s\n", login, login);
	else
		id = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return id;
}

/* Writes the audit entry of a new token; false after printing why not. */
static bool audit_created(PGconn *db, const char *login, const char *id, const char *label,
			  const char *expires)
{
	struct strbuf detail = STRBUF_INIT;
	struct json j;
	json_init(&j, &detail);
	json_object_begin(&j);
	json_kv_int(&j, "token_id", atoll(id));
	json_kv_string(&j, "label", label);
	json_key(&j, "expires_at");
	if (*expires)
		json_string(&j, expires);
	else
		json_null(&j);
	json_object_end(&j);
	bool ok = ctl_audit(db, "create", "api_token", login, strbuf_str(&detail));
	strbuf_free(&detail);
	return ok;
}

/* Inserts a token's hash in the open transaction, and prints the token once it is stored. */
static int insert_token(PGconn *db, const struct token_opts *o, const char *account_id,
			const char *label, const struct expiry *e)
{
	char *token = auth_token_generate();
	unsigned char hash[AUTH_HASH_BYTES];
	auth_token_hash(token, hash);
	char *hex = auth_hex(hash, sizeof hash);
	char *bytea = xasprintf("\\x%s", hex);
	free(hex);
	char *sql = xasprintf("INSERT INTO api_token (account_id, token_hash, label, created_at, "
			      "expires_at) VALUES ($1, $2::bytea, $3, to_timestamp($4::bigint), %s) "
			      "RETURNING id, "
			      "coalesce(expires_at > to_timestamp($4::bigint), true), "
			      "coalesce(to_char(expires_at, '" TIME_FORMAT " OF'), ''), "
			      "coalesce(expires_at::text, '')", e->sql ? e->sql : "NULL");
	char now[24];
	snprintf(now, sizeof now, "%lld", (long long)clock_now());
	const char *p[] = { account_id, bytea, label, now, e->value };
	PGresult *r = ctl_query(db, sql, e->sql ? 5 : 4, p);
	free(sql);
	free(bytea);
	int rc = CTL_INTERNAL;
	if (r == NULL) {
		rc = ctl_finish(db, false, CTL_INTERNAL);
		goto out;
	}
	if (strcmp(PQgetvalue(r, 0, 1), "t") != 0) {
		fprintf(stderr, "error: --expires %s is not in the future (it means %s); give a "
			"later date or time, or a duration such as 90d or 12h\n", o->expires,
			PQgetvalue(r, 0, 2));
		rc = ctl_finish(db, false, CTL_USER);
		goto out;
	}
	if (!audit_created(db, o->login, PQgetvalue(r, 0, 0), label, PQgetvalue(r, 0, 3))) {
		rc = ctl_finish(db, false, CTL_INTERNAL);
		goto out;
	}
	/* Out before the commit: a token that cannot be shown is not kept. */
	if (printf("%s\n", token) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "error: cannot print the token: %s; nothing was created\n",
			strerror(errno));
		rc = ctl_finish(db, false, CTL_INTERNAL);
		goto out;
	}
	rc = ctl_finish(db, true, CTL_INTERNAL);
	if (rc != CTL_OK)
		goto out;
	const char *expires = PQgetvalue(r, 0, 2);
	fprintf(stderr, "token %s of %s created; %s%s\n", PQgetvalue(r, 0, 0), o->login,
		*expires ? "it expires " : "it does not expire", expires);
	if (isatty(STDOUT_FILENO))
		fprintf(stderr, "(the token is shown only this once; keep it secret)\n");
out:
	PQclear(r);
	free(token);
	return rc;
}

/* token create: makes an API token and prints it once; only its SHA-256 is stored. */
static int token_create(struct ctl *ctl, int argc, char **argv)
{
	struct token_opts o;
	if (!parse_opts(argc, argv, "lLe", &o, create_usage))
		return CTL_USER;
	if (!o.login) {
		fprintf(stderr, "error: --login is required\nusage: %s\n", create_usage);
		return CTL_USER;
	}
	const char *label = o.label ? o.label : "";
	if (strlen(label) > MAX_LABEL || !xmltext_valid(label, strlen(label)) ||
	    strpbrk(label, "\t\r\n")) {
		fprintf(stderr, "error: the label must be one line of UTF-8 text of at most %d "
			"bytes; shorten it\n", MAX_LABEL);
		return CTL_USER;
	}
	struct expiry e;
	if (!expiry_parse(o.expires, &e))
		return CTL_USER;
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	if (!ctl_begin(db))
		return CTL_INTERNAL;
	int rc;
	char *account_id = enabled_account(db, o.login, &rc);
	if (account_id == NULL)
		return ctl_finish(db, false, rc);
	rc = insert_token(db, &o, account_id, label, &e);
	free(account_id);
	return rc;
}

/* Says there is nothing to list, or that the login names no account (then CTL_USER). */
static int list_empty(PGconn *db, const char *login)
{
	if (login == NULL) {
		printf("no API tokens; make one with: baocaoctl token create --login L\n");
		return CTL_OK;
	}
	const char *p[] = { login };
	PGresult *r = ctl_query(db, "SELECT 1 FROM account WHERE login = $1", 1, p);
	if (r == NULL)
		return CTL_INTERNAL;
	bool exists = PQntuples(r) == 1;
	PQclear(r);
	if (!exists) {
		fprintf(stderr, "error: no account with login '%s'; list them with: baocaoctl "
			"account list\n", login);
		return CTL_USER;
	}
	printf("%s has no API tokens; make one with: baocaoctl token create --login %s\n", login,
	       login);
	return CTL_OK;
}

/* token list: one line per token, in the configured time zone, oldest first. */
static int token_list(struct ctl *ctl, int argc, char **argv)
{
	struct token_opts o;
	if (!parse_opts(argc, argv, "l", &o, list_usage))
		return CTL_USER;
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	/* The states as the daemon decides them: revoked, else expired, else it works unless
	 * the account is disabled. */
	char now[24];
	snprintf(now, sizeof now, "%lld", (long long)clock_now());
	const char *p[] = { o.login, now };
	PGresult *r = ctl_query(db,
		"SELECT t.id, a.login, coalesce(nullif(translate(t.label, E'\\t\\r\\n', '   '), ''), "
		"  '-'), to_char(t.created_at, '" TIME_FORMAT "'), "
		"  coalesce(to_char(t.last_used_at, '" TIME_FORMAT "'), 'never'), "
		"  coalesce(to_char(t.expires_at, '" TIME_FORMAT "'), 'never'), "
		"  CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' "
		"    WHEN t.expires_at <= to_timestamp($2::bigint) THEN 'expired' "
		"    WHEN a.disabled THEN 'active (account disabled)' ELSE 'active' END "
		"FROM api_token t JOIN account a ON a.id = t.account_id "
		"WHERE $1::text IS NULL OR a.login = $1 ORDER BY t.id", 2, p);
	if (r == NULL)
		return CTL_INTERNAL;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return list_empty(db, o.login);
	}
	static const char *const header[LIST_COLUMNS] = {
		"ID", "LOGIN", "LABEL", "CREATED", "LAST USED", "EXPIRES", "STATE",
	};
	return ctl_print_table(header, LIST_COLUMNS, r);
}

/* token revoke ID: the token stops working at its next use; the row stays for the record. */
static int token_revoke(struct ctl *ctl, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s\n", revoke_usage);
		return CTL_USER;
	}
	const char *id = argv[1];
	if (!ctl_id_valid(id, "token", "baocaoctl token list"))
		return CTL_USER;
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	if (!ctl_begin(db))
		return CTL_INTERNAL;
	PGresult *r;
	const char *p[] = { id };
	r = ctl_query(db, "SELECT a.login, t.label, "
		      "  coalesce(to_char(t.revoked_at, '" TIME_FORMAT "'), '') "
		      "FROM api_token t JOIN account a ON a.id = t.account_id "
		      "WHERE t.id = $1::bigint FOR UPDATE OF t", 1, p);
	if (r == NULL)
		return ctl_finish(db, false, CTL_INTERNAL);
	if (PQntuples(r) == 0) {
		fprintf(stderr, "error: no API token with ID %s; list them with: baocaoctl token "
			"list\n", id);
		PQclear(r);
		return ctl_finish(db, false, CTL_USER);
	}
	char *login = xstrdup(PQgetvalue(r, 0, 0)), *label = xstrdup(PQgetvalue(r, 0, 1));
	char *revoked = xstrdup(PQgetvalue(r, 0, 2));
	PQclear(r);
	int rc;
	if (*revoked) {
		rc = ctl_finish(db, false, CTL_OK);
		if (rc == CTL_OK)
			printf("token %s of %s was already revoked at %s; nothing to do\n", id, login,
			       revoked);
		goto out;
	}
	r = ctl_query(db, "UPDATE api_token SET revoked_at = now() WHERE id = $1::bigint", 1, p);
	if (r == NULL) {
		rc = ctl_finish(db, false, CTL_INTERNAL);
		goto out;
	}
	PQclear(r);
	struct strbuf detail = STRBUF_INIT;
	struct json j;
	json_init(&j, &detail);
	json_object_begin(&j);
	json_kv_int(&j, "token_id", atoll(id));
	json_kv_string(&j, "label", label);
	json_object_end(&j);
	rc = ctl_finish(db, ctl_audit(db, "revoke", "api_token", login, strbuf_str(&detail)),
			CTL_INTERNAL);
	strbuf_free(&detail);
	if (rc == CTL_OK)
		printf("token %s of %s revoked; requests with it are refused from now on\n", id,
		       login);
out:
	free(login);
	free(label);
	free(revoked);
	return rc;
}

/* Dispatches "token create|list|revoke". */
int ctl_token(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return token_create(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return token_list(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "revoke") == 0)
		return token_revoke(ctl, argc - 1, argv + 1);
	fprintf(stderr, "usage: %s\n       %s\n       %s\n", create_usage, list_usage,
		revoke_usage);
	return CTL_USER;
}
