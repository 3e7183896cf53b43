/* The retention of raw uploads: removing the raw files of old versions, keeping their data. */
#ifndef BAOCAO_RETENTION_H
#define BAOCAO_RETENTION_H

#include <libpq-fe.h>
#include <time.h>

/*
 * Removes the raw files of versions that are neither the current one of their unit and period
 * nor in any consolidated report (cut-off snapshot or final) and arrived more than retention_ms
 * before now; their items, hash and receipt stay. Works in bounded batches, each its own
 * statement, up to a bounded number per call. Returns how many files went, or -1 with *err.
 */
long long retention_run(PGconn *conn, time_t now, long long retention_ms, char **err);

#endif
