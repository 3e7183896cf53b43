/* Changes made elsewhere that move due times (baocaoctl's period overrides and imports): a
 * thread listens on the database channel "baocao_plan" and has the jobs planned again at once,
 * rather than at the next minute's housekeeping. */
#include "notify.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 10000
#define STABLE_MS 60000			/* a connection that lived this long was not flapping */
#define CONNECT_TIMEOUT "10"		/* seconds: a stop is never held up longer by a connect */

static pthread_t thread;
static bool started;
static int stop_fd = -1;		/* eventfd: written once to stop the thread */
static char *conninfo, *time_zone;
static void (*on_change)(void);	/* called on the listener thread for each announcement */

/* Waits up to ms for the stop signal; true when asked to stop. */
static bool wait_stop(int ms)
{
	struct pollfd p = { .fd = stop_fd, .events = POLLIN };
	int rc;
	while ((rc = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return rc > 0;
}

/* Connects and listens; NULL after logging why not (once per outage). */
static PGconn *listen_connect(bool *logged)
{
	char *err = NULL;
	PGconn *c = db_connect_once(conninfo, time_zone, &err);
	if (c != NULL) {
		PGresult *r = PQexec(c, "LISTEN " NOTIFY_CHANNEL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			err = str_trim(xstrdup(PQresultErrorMessage(r)));
			PQfinish(c);
			c = NULL;
		}
		PQclear(r);
	}
	if (c == NULL) {
		if (!*logged)
			log_warn("notify", "cannot listen for changes (%s); jobs are planned every "
				 "minute until the database answers", err ? err : "unknown error");
		*logged = true;
		free(err);
		return NULL;
	}
	if (*logged)
		log_info("notify", "listening for changes again");
	*logged = false;
	return c;
}

/* The thread: listens, and asks for a planning round on each notification (and after each
 * reconnection: what was announced meanwhile is lost). */
static void *notify_main(void *arg)
{
	int retry_ms = RETRY_MIN_MS;
	bool logged = false;
	while (true) {
		PGconn *c = listen_connect(&logged);
		if (c == NULL) {
			if (wait_stop(retry_ms))
				return NULL;
			retry_ms = retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : retry_ms * 2;
			continue;
		}
		on_change();
		long long since = clock_mono_ms();
		bool stop = false;
		while (!stop) {
			struct pollfd p[2] = { { .fd = stop_fd, .events = POLLIN },
					       { .fd = PQsocket(c), .events = POLLIN } };
			int rc = poll(p, 2, -1);
			if (rc < 0 && errno == EINTR)
				continue;
			if (rc < 0 || (p[0].revents & POLLIN)) {
				stop = true;
				break;
			}
			if (PQconsumeInput(c) == 0) {
				/* Said once per outage: listen_connect says when it is back. */
				log_warn("notify", "connection lost (%s); jobs are planned every minute "
					 "until it is back", str_trim(PQerrorMessage(c)));
				logged = true;
				break;
			}
			bool any = false;
			PGnotify *n;
			while ((n = PQnotifies(c)) != NULL) {
				any = true;
				PQfreemem(n);
			}
			if (any) {
				log_debug("notify", "a change was announced: planning the jobs again");
				on_change();
			}
		}
		PQfinish(c);
		/* A connection that keeps breaking at once is retried ever more slowly. */
		if (clock_mono_ms() - since >= STABLE_MS)
			retry_ms = RETRY_MIN_MS;
		else
			retry_ms = retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : retry_ms * 2;
		if (stop || wait_stop(retry_ms))
			return NULL;
	}
}

int notify_start(const char *conn_info, const char *zone, void (*changed)(void))
{
	on_change = changed;
	stop_fd = eventfd(0, EFD_CLOEXEC);
	if (stop_fd < 0) {
		log_error("notify", "eventfd: %s", strerror(errno));
		return -1;
	}
	/* key=value settings get a connect timeout unless they set one; URIs are left as they are. */
	bool uri = strncmp(conn_info, "postgres", 8) == 0;
	conninfo = uri || strstr(conn_info, "connect_timeout") ? xstrdup(conn_info) :
		   xasprintf("%s connect_timeout=" CONNECT_TIMEOUT, conn_info);
	time_zone = xstrdup(zone);
	int rc = pthread_create(&thread, NULL, notify_main, NULL);
	if (rc != 0) {
		log_error("notify", "cannot start the listener thread: %s", strerror(rc));
		notify_stop();
		return -1;
	}
	started = true;
	return 0;
}

void notify_stop(void)
{
	if (started) {
		uint64_t one = 1;
		if (write(stop_fd, &one, sizeof one) != (ssize_t)sizeof one)
			log_warn("notify", "cannot signal the listener: %s", strerror(errno));
		int rc = pthread_join(thread, NULL);
		if (rc != 0)
			log_warn("notify", "pthread_join: %s", strerror(rc));
		started = false;
	}
	if (stop_fd >= 0 && close(stop_fd) != 0)
		log_warn("notify", "close: %s", strerror(errno));
	stop_fd = -1;
	free(conninfo);
	free(time_zone);
	conninfo = time_zone = NULL;
}

int notify_announce(PGconn *conn, char **err)
{
	PGresult *r = db_run(conn, "notify", "SELECT pg_notify('" NOTIFY_CHANNEL "', '')", 0, NULL,
			     err);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}
