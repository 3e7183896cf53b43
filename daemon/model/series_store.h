/* The series a daemon works with: read from the database, where baocaoctl series sync put
 * them, so every daemon on one database uses the same definitions. */
#ifndef BAOCAO_SERIES_STORE_H
#define BAOCAO_SERIES_STORE_H

#include "series.h"

#include <libpq-fe.h>

/* The series in force, for any thread; never NULL (empty until first loaded). A list once
 * published stays valid until series_store_retire_all(). */
const struct series_list *series_current(void);
/* The series of that name in force, or NULL. */
const struct series_def *series_current_find(const char *name);
/*
 * Reads the active series' definitions from the database if they changed since the last
 * call (or always, with force) and publishes them. Returns 1 when a new list was published,
 * 0 when nothing changed, -1 with *err on a database failure or a definition that does not
 * read (the list in force stays).
 */
int series_store_refresh(PGconn *conn, bool force, char **err);
/* Frees every list published (at exit, when no thread reads them any more). */
void series_store_retire_all(void);

#endif
