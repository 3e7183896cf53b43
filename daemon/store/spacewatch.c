/* Watching the space left: the disks of data_dir and spool_dir, the database's size. */
#include "spacewatch.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "prom.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
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

/* Takes or releases the lock of the last measure. */
static void measure_lock(bool take)
{
	if ((take ? pthread_mutex_lock(&lock) : pthread_mutex_unlock(&lock)) != 0)
		fatal("storage", "cannot %s the measure's lock", take ? "take" : "release");
}

/* Logs a limit's passing (warn), its lasting (again hourly) and its end (info). */
static void watch_log(struct watch *w, bool passed, const char *warn_text, const char *ok_text)
{
	long long now = clock_mono_ms();
	if (passed && (!w->warned || now - w->logged_at >= REPEAT_MS)) {
		log_warn("storage", "%s", warn_text);
		w->logged_at = now;
	} else if (!passed && w->warned) {
		log_info("storage", "%s", ok_text);
	}
	w->warned = passed;
}

/* A size for the log: "512 KiB", "80472 MiB", "1024 GiB". */
static void size_text(unsigned long long bytes, char *buf, size_t len)
{
	if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0)
		snprintf(buf, len, "%llu GiB", bytes >> 30);
	else if (bytes >= (1ULL << 20))
		snprintf(buf, len, "%llu MiB", bytes >> 20);
	else
		snprintf(buf, len, "%llu KiB", (bytes + 1023) >> 10);
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
		char free_words[32], min_words[32];
		size_text(m.dir_free[i], free_words, sizeof free_words);
		size_text((unsigned long long)m.disk_min, min_words, sizeof min_words);
		char *warn = xasprintf("%s %s: disk space low: %s free (%d%%); wanted at least %s "
				       "(server.disk_free_min) and %lld%% (disk_free_min_percent)",
				       dir_names[i], paths[i], free_words, m.dir_free_pct[i],
				       min_words, m.disk_min_pct);
		char *ok = xasprintf("%s %s: disk space back within the limits: %s free (%d%%)",
				     dir_names[i], paths[i], free_words, m.dir_free_pct[i]);
		watch_log(&dir_watch[i], m.dir_low[i], warn, ok);
		free(warn);
		free(ok);
	}
	m.db_size = db_measure(conn);
	measure_lock(true);
	if (m.db_size < 0)			/* not measured this round: the last size stands */
		m.db_size = last.db_size;
	measure_lock(false);
	m.db_high = m.db_max > 0 && m.db_size > m.db_max;
	if (m.db_size >= 0) {
		char size_words[32], max_words[32];
		size_text((unsigned long long)m.db_size, size_words, sizeof size_words);
		size_text((unsigned long long)m.db_max, max_words, sizeof max_words);
		char *warn = xasprintf("database size high: %s; wanted at most %s "
				       "(database.size_max)", size_words, max_words);
		char *ok = xasprintf("database size back within the limit: %s", size_words);
		watch_log(&db_watch, m.db_high, warn, ok);
		free(warn);
		free(ok);
	}
	measure_lock(true);
	last = m;
	measure_lock(false);
}

/* Appends the last measure's warnings to an open JSON object. */
void spacewatch_json(struct strbuf *out)
{
	measure_lock(true);
	struct measure m = last;
	measure_lock(false);
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

/* Appends the last measure in the Prometheus text format (GET /metrics): per directory the
 * bytes free, the share free and whether it is below the limits; the database's size. */
void spacewatch_metrics(struct strbuf *out)
{
	measure_lock(true);
	struct measure m = last;
	measure_lock(false);
	bool known = false;
	for (int i = 0; i < NDIRS; i++)
		known = known || m.dir_known[i];
	if (known) {
		struct strbuf l = STRBUF_INIT;
		prom_family(out, "baocao_disk_free_bytes", "gauge",
			    "Bytes free to the daemon on the file system of data_dir and spool_dir "
			    "(last housekeeping round).");
		for (int i = 0; i < NDIRS; i++) {
			if (!m.dir_known[i])
				continue;
			strbuf_reset(&l);
			prom_label(&l, "dir", dir_names[i]);
			prom_sample_u(out, "baocao_disk_free_bytes", l.data, m.dir_free[i]);
		}
		prom_family(out, "baocao_disk_free_ratio", "gauge",
			    "Share of the file system free (0 to 1).");
		for (int i = 0; i < NDIRS; i++) {
			if (!m.dir_known[i])
				continue;
			strbuf_reset(&l);
			prom_label(&l, "dir", dir_names[i]);
			prom_sample(out, "baocao_disk_free_ratio", l.data, m.dir_free_pct[i] / 100.0);
		}
		prom_family(out, "baocao_disk_low", "gauge",
			    "1 when the free space is below disk_free_min or disk_free_min_percent.");
		for (int i = 0; i < NDIRS; i++) {
			if (!m.dir_known[i])
				continue;
			strbuf_reset(&l);
			prom_label(&l, "dir", dir_names[i]);
			prom_sample_u(out, "baocao_disk_low", l.data, m.dir_low[i]);
		}
		strbuf_free(&l);
	}
	if (m.db_size >= 0) {
		prom_family(out, "baocao_database_size_bytes", "gauge",
			    "Size of the database (last housekeeping round).");
		prom_sample_u(out, "baocao_database_size_bytes", NULL,
			      (unsigned long long)m.db_size);
		prom_family(out, "baocao_database_size_high", "gauge",
			    "1 when the database is larger than database.size_max.");
		prom_sample_u(out, "baocao_database_size_high", NULL, m.db_high);
	}
}
