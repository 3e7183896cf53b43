/* A test driver of the prepared-statement cache: two texts at one address, one text at two. */
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "util.h"

/* Runs sql through db_query and prints "label value", or "label error ..."; 0 or -1. */
static int run(PGconn *conn, const char *label, const char *sql)
{
	PGresult *r = db_query(conn, sql, 0, NULL, NULL, NULL);
	int rc = db_ok(r) && PQntuples(r) == 1 ? 0 : -1;
	if (rc == 0)
		printf("%s %s\n", label, PQgetvalue(r, 0, 0));
	else
		printf("%s error %s\n", label, r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
	PQclear(r);
	return rc;
}

/* Prints what the connection ran, then the texts the server holds prepared; exits 0 when
 * every statement ran. */
int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: db_cache_tool CONNINFO\n");
		return 2;
	}
	char *err = NULL;
	PGconn *conn = db_connect_once(argv[1], "UTC", &err);
	if (conn == NULL) {
		fprintf(stderr, "db_cache_tool: %s\n", err);
		free(err);
		return 1;
	}
	/* Two texts, one after the other, in one buffer. */
	char buf[64];
	snprintf(buf, sizeof buf, "SELECT 'first'::text");
	int rc = run(conn, "one-address", buf);
	snprintf(buf, sizeof buf, "SELECT 'second'::text");
	rc |= run(conn, "one-address", buf);
	/* One text in two buffers. */
	char *a = xstrdup("SELECT 'third'::text"), *b = xstrdup("SELECT 'third'::text");
	rc |= run(conn, "two-addresses", a);
	rc |= run(conn, "two-addresses", b);
	free(a);
	free(b);
	PGresult *r = PQexec(conn, "SELECT statement FROM pg_prepared_statements ORDER BY 1");
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		for (int i = 0; i < PQntuples(r); i++)
			printf("prepared %s\n", PQgetvalue(r, i, 0));
	} else {
		printf("prepared error %s\n", PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	PQfinish(conn);
	return rc == 0 ? 0 : 1;
}
