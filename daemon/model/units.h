/* Units: validation and the idempotent CSV import (columns code,name,group[,emails][,webhook]). */
#ifndef BAOCAO_UNITS_H
#define BAOCAO_UNITS_H

/* Units one CSV file may hold (a province has a few hundred). */
#define UNITS_MAX_ROWS 10000

#include "audit.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct units_import_result {
	int rows;
	int added;
	int updated;
	int unchanged;
};

/* Whether a unit code has the allowed form (letters, digits, '-' and '_'; at most 32). */
bool units_code_valid(const char *code);
/* Whether an e-mail address has a plausible form. */
bool units_email_valid(const char *email);

/*
 * Imports units from CSV text in one transaction: every row is checked first and nothing is
 * written if any row is wrong. Returns 0; 1 with *err naming the line for bad input; 2 with
 * *err for a database failure.
 */
int units_import_csv(PGconn *conn, const char *data, size_t len, const struct audit_who *who,
		     struct units_import_result *res, char **err);

/* Whether a group name has the allowed form (lower-case letters, digits, '-'; at most 32). */
bool units_group_valid(const char *group);

enum units_result {
	UNITS_OK,
	UNITS_NOT_FOUND,	/* no unit with that code */
	UNITS_BAD_NAME,		/* empty, longer than 300 bytes, or not UTF-8 text */
	UNITS_BAD_GROUP,
	UNITS_BAD_EMAIL,	/* *err is the address that is wrong */
	UNITS_BAD_WEBHOOK,	/* not https:// (nor http:// to this machine), or too long */
	UNITS_DB,		/* with *err */
};

/*
 * Sets one unit's name, group and contacts (emails as the CSV column has them: addresses
 * separated by ';', ',' or spaces, "head:" before the head's; webhook: its URL, "" for none,
 * NULL to leave it as it is), in one transaction with an audit entry "update" holding the
 * values before and after.
 */
enum units_result units_update(PGconn *conn, const char *code, const char *name,
			       const char *group, const char *emails, const char *webhook,
			       const struct audit_who *who, char **err);

/* Every unit for the admin page, by group and code: code, name, unit_group, emails (a JSON
 * array), active, accounts (how many), webhook (NULL: none), whether a webhook secret is set
 * (the secret itself never leaves the database); NULL with *err. */
PGresult *units_list(PGconn *conn, char **err);

/* The name of the unit with this code, new; NULL when there is none or the query failed. */
char *units_name(PGconn *conn, const char *code);
/* The addresses a unit is written to about its reports: its reporters' accounts (enabled) and
 * its own addresses but the head's, lower case, each once, sorted. NULL with *err. */
PGresult *units_report_addresses(PGconn *conn, const char *code, char **err);

#endif
