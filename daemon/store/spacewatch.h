/* Watching the space left: the disks of data_dir and spool_dir, the database's size. */
#ifndef BAOCAO_SPACEWATCH_H
#define BAOCAO_SPACEWATCH_H

#include "util.h"

#include <libpq-fe.h>

/*
 * Measures the free space of data_dir's and spool_dir's file systems and, when conn is not
 * NULL, the database's size, against the settings in force; keeps the result for
 * spacewatch_json and logs a warning when a limit is passed (again at most once an hour while
 * it lasts) and once when it is back within. Called by the housekeeping round.
 */
void spacewatch_run(PGconn *conn);
/*
 * Appends the warnings of the last measure to an open JSON object:
 * ,"storage_warnings":[{"code":"disk_space_low",...},{"code":"database_size_high",...}]
 * (nothing when there is none). For /readyz.
 */
void spacewatch_json(struct strbuf *out);
/* Appends the last measure as Prometheus families (baocao_disk_free_bytes{dir=},
 * baocao_disk_free_ratio, baocao_disk_low, baocao_database_size_bytes, ..._high): nothing
 * before the first measure. For GET /metrics. */
void spacewatch_metrics(struct strbuf *out);

#endif
