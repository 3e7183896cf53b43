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
#define CHECK_MS 10000			/* how often the connection is asked whether it is still
					 * there and still on the primary */
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

/* Whether the server of c has turned read-only since LISTEN (a primary fenced or demoted
 * during a switchover): announcements now go to another server. Known from the parameters
 * PostgreSQL 14 and later report with each answer. */
static bool listen_read_only(PGconn *c)
{
	const char *ro = PQparameterStatus(c, "default_transaction_read_only");
	const char *hot = PQparameterStatus(c, "in_hot_standby");
	return (ro && strcmp(ro, "on") == 0) || (hot && strcmp(hot, "on") == 0);
}

/* Reads the answer to the check once it is whole (PQconsumeInput has been called): 1 while it
 * is not, 0 when the server answered and is still the primary, -1 (logged) when it failed or
 * the server turned read-only. */
static int check_answer(PGconn *c)
{
	if (PQisBusy(c))
		return 1;
	bool ok = true;
	PGresult *r;
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			ok = false;
		PQclear(r);
	}
	if (ok && !listen_read_only(c))
		return 0;
	log_warn("notify", "%s; connecting again, to the primary", ok ? "the server has turned "
		 "read-only" : "the connection's check failed");
	return -1;
}

/* The thread: listens, and asks for a planning round on each notification (and after each
 * reconnection: what was announced meanwhile is lost). Every CHECK_MS it asks the server a
 * question, without blocking: no answer by the next time, or a server turned read-only, and
 * it connects again (through the host list, to the primary). */
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
		long long since = clock_mono_ms(), next_check = since + CHECK_MS;
		bool stop = false, asked = false;
		while (!stop) {
			struct pollfd p[2] = { { .fd = stop_fd, .events = POLLIN },
					       { .fd = PQsocket(c), .events = POLLIN } };
			long long wait = next_check - clock_mono_ms();
			int rc = poll(p, 2, wait > 0 ? (int)wait : 0);
			if (rc < 0 && errno == EINTR)
				continue;
			if (rc < 0 || (p[0].revents & POLLIN)) {
				stop = true;
				break;
			}
			if (rc == 0) {	/* time for a check, or the last one went unanswered */
				if (asked) {
					log_warn("notify", "the server has not answered for %d s; "
						 "connecting again", CHECK_MS / 1000);
					logged = true;
					break;
				}
				if (PQsendQuery(c, "SELECT 1") == 0) {
					log_warn("notify", "cannot check the connection (%s); "
						 "connecting again", str_trim(PQerrorMessage(c)));
					logged = true;
					break;
				}
				asked = true;
				next_check = clock_mono_ms() + CHECK_MS;
				continue;
			}
			if (PQconsumeInput(c) == 0) {
				/* Said once per outage: listen_connect says when it is back. */
				log_warn("notify", "connection lost (%s); jobs are planned every minute "
					 "until it is back", str_trim(PQerrorMessage(c)));
				logged = true;
				break;
			}
			if (asked) {
				int answer = check_answer(c);
				if (answer < 0) {
					logged = true;
					break;
				}
				asked = answer > 0;
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
