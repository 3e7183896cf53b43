/* Watching the space left: the disks of data_dir and spool_dir, the database's size. */
#include "spacewatch.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#define REPEAT_MS (3600LL * 1000)	/* a warning that lasts is logged again after an hour */

enum { DIR_DATA, DIR_SPOOL, NDIRS };
static const char *const dir_names[NDIRS] = { "data_dir", "spool_dir" };

/* One limit's state: passed or not, and when it was last logged (monotonic ms). */
struct watch {
	bool warned;
	long long logged_at;
};

/* The last measure, shared between the housekeeping round and /readyz. */
struct measure {
	bool dir_known[NDIRS];
	unsigned long long dir_free[NDIRS];	/* bytes available to the daemon's user */
	int dir_free_pct[NDIRS];
	bool dir_low[NDIRS];
	long long db_size;			/* -1: not measured */
	bool db_high;
	long long disk_min, disk_min_pct, db_max;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct measure last = { .db_size = -1 };
static struct watch dir_watch[NDIRS], db_watch;	/* the housekeeping round's only */

/* Logs a limit's passing, its lasting (hourly) and its end; text describes the state. */
static void watch_log(struct watch *w, bool passed, const char *what, const char *text)
{
	long long now = clock_mono_ms();
	if (passed && (!w->warned || now - w->logged_at >= REPEAT_MS)) {
		log_warn("storage", "%s: %s", what, text);
		w->logged_at = now;
	} else if (!passed && w->warned) {
		log_info("storage", "%s: back within the limit (%s)", what, text);
	}
	w->warned = passed;
}

/* Measures a folder's file system; false when it cannot. */
static bool dir_measure(const char *path, unsigned long long *free_bytes, int *free_pct)
{
	struct statvfs vfs;
	if (path == NULL || path[0] == '\0' || statvfs(path, &vfs) != 0)
		return false;
	*free_bytes = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	*free_pct = vfs.f_blocks ? (int)((unsigned long long)vfs.f_bavail * 100 / vfs.f_blocks)
				 : 100;
	return true;
}

/* The database's size in bytes, or -1. */
static long long db_measure(PGconn *conn)
{
	if (conn == NULL)
		return -1;
	PGresult *r = db_query(conn, "SELECT pg_database_size(current_database())", 0, NULL,
			       NULL, NULL);
	long long size = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ?
			 atoll(PQgetvalue(r, 0, 0)) : -1;
	if (size < 0)
		log_debug("storage", "database size: %s", str_trim(PQresultErrorMessage(r)));
	PQclear(r);
	return size;
}

/* Measures, keeps and logs (see spacewatch.h). */
void spacewatch_run(PGconn *conn)
{
	const struct config *cfg = config_current();
	struct measure m = { .db_size = -1 };
	m.disk_min = cfg->disk_free_min;
	m.disk_min_pct = cfg->disk_free_min_percent;
	m.db_max = cfg->database_size_max;
	const char *paths[NDIRS] = { cfg->data_dir, cfg->spool_dir };
	for (int i = 0; i < NDIRS; i++) {
		m.dir_known[i] = dir_measure(paths[i], &m.dir_free[i], &m.dir_free_pct[i]);
		if (!m.dir_known[i]) {
			log_debug("storage", "%s %s: cannot measure its file system", dir_names[i],
				  paths[i]);
			continue;
		}
		m.dir_low[i] = (m.disk_min > 0 && m.dir_free[i] < (unsigned long long)m.disk_min) ||
			       (m.disk_min_pct > 0 && m.dir_free_pct[i] < m.disk_min_pct);
		char *text = xasprintf("%llu MiB free (%d%%), at least %lld MiB / %lld%% wanted "
				       "(disk_free_min, disk_free_min_percent)",
				       m.dir_free[i] >> 20, m.dir_free_pct[i], m.disk_min >> 20,
				       m.disk_min_pct);
		char *what = xasprintf("%s %s: %s", dir_names[i], paths[i],
				       m.dir_low[i] ? "disk space low" : "disk space");
		watch_log(&dir_watch[i], m.dir_low[i], what, text);
		free(what);
		free(text);
	}
	m.db_size = db_measure(conn);
	pthread_mutex_lock(&lock);
	if (m.db_size < 0)			/* not measured this round: the last size stands */
		m.db_size = last.db_size;
	pthread_mutex_unlock(&lock);
	m.db_high = m.db_max > 0 && m.db_size > m.db_max;
	if (m.db_size >= 0) {
		char *text = xasprintf("%lld MiB, at most %lld MiB wanted (database.size_max)",
				       m.db_size >> 20, m.db_max >> 20);
		watch_log(&db_watch, m.db_high, m.db_high ? "database size high" : "database size",
			  text);
		free(text);
	}
	pthread_mutex_lock(&lock);
	last = m;
	pthread_mutex_unlock(&lock);
}

/* Appends the last measure's warnings to an open JSON object. */
void spacewatch_json(struct strbuf *out)
{
	pthread_mutex_lock(&lock);
	struct measure m = last;
	pthread_mutex_unlock(&lock);
	bool any = m.db_high;
	for (int i = 0; i < NDIRS; i++)
		any = any || m.dir_low[i];
	if (!any)
		return;
	strbuf_adds(out, ",\"storage_warnings\":[");
	const char *sep = "";
	for (int i = 0; i < NDIRS; i++) {
		if (!m.dir_low[i])
			continue;
		strbuf_addf(out, "%s{\"code\":\"disk_space_low\",\"dir\":\"%s\",\"free_bytes\":%llu,"
			    "\"free_percent\":%d,\"min_bytes\":%lld,\"min_percent\":%lld}", sep,
			    dir_names[i], m.dir_free[i], m.dir_free_pct[i], m.disk_min,
			    m.disk_min_pct);
		sep = ",";
	}
	if (m.db_high)
		strbuf_addf(out, "%s{\"code\":\"database_size_high\",\"size_bytes\":%lld,"
			    "\"max_bytes\":%lld}", sep, m.db_size, m.db_max);
	strbuf_addc(out, ']');
}
