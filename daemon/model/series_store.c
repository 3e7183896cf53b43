/* The series a daemon works with: read from the database, where baocaoctl series sync put
 * them, so every daemon on one database uses the same definitions. */
#include "series_store.h"
#include "db.h"
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A published list, kept on a chain of all of them until exit. */
struct published {
	struct series_list list;
	char version[33];
	struct published *older;
};

static struct published empty;
static _Atomic(struct published *) current = &empty;
static pthread_mutex_t publishing = PTHREAD_MUTEX_INITIALIZER;

/* The series in force. */
const struct series_list *series_current(void)
{
	return &atomic_load(&current)->list;
}

/* Finds a series in force by name. */
const struct series_def *series_current_find(const char *name)
{
	return name ? series_find(series_current(), name) : NULL;
}

/* Reads the definitions if their version changed, and publishes them. */
int series_store_refresh(PGconn *conn, bool force, char **err)
{
	PGresult *r = db_run(conn, "series",
		"SELECT coalesce(md5(string_agg(name || E'\\n' || definition, E'\\n' ORDER BY name)), "
		"  ''), coalesce(string_agg('[series ' || name || E']\\n' || definition, E'\\n' "
		"  ORDER BY name), ''), count(*) FILTER (WHERE definition = '') "
		"FROM series WHERE active", 0, NULL, err);
	if (r == NULL)
		return -1;
	const char *version = PQgetvalue(r, 0, 0);
	if (!force && strcmp(version, atomic_load(&current)->version) == 0 &&
	    atomic_load(&current) != &empty) {
		PQclear(r);
		return 0;
	}
	if (atoi(PQgetvalue(r, 0, 2)) > 0) {
		*err = xstrdup("series: some series in the database have no definition yet; run "
			       "baocaoctl series sync");
		PQclear(r);
		return -1;
	}
	struct published *p = xcalloc(1, sizeof *p);
	snprintf(p->version, sizeof p->version, "%s", version);
	if (series_parse_text(PQgetvalue(r, 0, 1), "the database's series", &p->list, err) != 0) {
		PQclear(r);
		free(p);
		return -1;
	}
	PQclear(r);
	if (pthread_mutex_lock(&publishing) != 0)
		fatal("series", "cannot lock the series list");
	p->older = atomic_load(&current);
	atomic_store(&current, p);
	if (pthread_mutex_unlock(&publishing) != 0)
		fatal("series", "cannot unlock the series list");
	return 1;
}

/* Frees every published list. */
void series_store_retire_all(void)
{
	struct published *p = atomic_exchange(&current, &empty);
	while (p && p != &empty) {
		struct published *older = p->older;
		series_list_free(&p->list);
		free(p);
		p = older;
	}
}
