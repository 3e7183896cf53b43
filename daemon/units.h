/* Units: validation and the idempotent CSV import (columns code,name,group[,emails]). */
#ifndef BAOCAO_UNITS_H
#define BAOCAO_UNITS_H

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
int units_import_csv(PGconn *conn, const char *data, size_t len, const char *actor,
		     struct units_import_result *res, char **err);

#endif
