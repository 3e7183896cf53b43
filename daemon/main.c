/* baocaod: arguments, configuration, privileges, signals, start and graceful stop. */
#include "clock.h"
#include "config.h"
#include "db.h"
#include "documents.h"
#include "housekeeping.h"
#include "job_kinds.h"
#include "notify.h"
#include "static.h"
#include "http.h"
#include "api.h"
#include "authz.h"
#include "keys.h"
#include "log.h"
#include "mail.h"
#include "migrate.h"
#include "outbox.h"
#include "pdfsig.h"
#include "recurring.h"
#include "scheduler.h"
#include "sdnotify.h"
#include "series_store.h"
#include "util.h"
#include "worker.h"
#include "build_config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HOUSEKEEPING_INTERVAL_MS (60 * 1000)	/* series and periods followed each minute */
#define OUTBOX_INTERVAL_MS 2000			/* mail is sent within seconds */

static struct event_base *base;
static struct event *ev_term, *ev_int, *ev_hup, *ev_drain;
static long long drain_deadline;	/* monotonic ms */

/* Prints how to call the program. */
static void usage(FILE *f)
{
	fprintf(f, "usage: baocaod [-c FILE] [-t] [-r] [-V|--version]\n"
		   "  -c FILE  configuration file (default %s)\n"
		   "  -t       check the configuration and exit\n"
		   "  -r       list the routes with the action each performs, and exit\n"
		   "  -V, --version  print the version and exit\n", BAOCAO_CONFIG_FILE);
}

/* Prints the route table: method, pattern, action (for people and the access test). */
static void list_routes(void)
{
	for (const struct route *r = api_routes; r->pattern; r++)
		printf("%s %s %s\n", r->method, r->pattern,
		       authz_action_name((enum authz_action)r->action));
}

/* Applies the reloadable settings of the configuration in force. */
static void apply_config(const struct config *cfg)
{
	log_set_level((enum log_level)cfg->log_level);
	http_apply_config(cfg);
	worker_set_limits((size_t)cfg->queue_max, cfg->request_timeout);
	worker_login_set_limits((size_t)cfg->login_queue, cfg->request_timeout);
}

/* Reads the certificates of [signatures] trusted_roots and puts them in force for the
 * documents' signatures: 0, or -1 after logging why (those in force stay). */
static int trust_load(const struct config *cfg)
{
	char *err = NULL;
	struct pdfsig_trust *t = pdfsig_trust_load(cfg->trusted_roots, &err);
	if (t == NULL) {
		log_error("signatures", "%s", err);
		free(err);
		return -1;
	}
	documents_trust_set(t);
	if (cfg->trusted_roots[0])
		log_info("signatures", "trusting the certificates of %s", cfg->trusted_roots);
	return 0;
}

/* Reads the series from the database before serving; if it cannot, the housekeeping
 * reads them as soon as the database answers. */
static void series_at_start(const struct config *cfg)
{
	char *err = NULL;
	PGconn *c = db_connect_once(cfg->conninfo, cfg->time_zone, &err);
	if (c != NULL && series_store_refresh(c, true, &err) >= 0) {
		log_info("series", "%zu series read from the database", series_current()->n);
	} else {
		log_warn("series", "cannot read the series now (%s); retrying every minute", err);
		free(err);
	}
	if (c)
		PQfinish(c);
}

static struct recurring *outbox_task;
static char instance[128];	/* host:pid, the name this daemon's leases carry */

/* Worker: sends what is due in the outbox. */
static void outbox_tick(struct db *db, void *arg)
{
	PGconn *conn = db_conn(db);
	if (conn == NULL)
		return;
	char *err = NULL;
	int n;
	/* A full batch means more may be due: go on while it is so. */
	while ((n = outbox_run(conn, instance, &err)) == OUTBOX_BATCH_SIZE)
		;
	if (n < 0) {
		db_check_failure(db, NULL);
		log_warn("outbox", "%s", err);
		free(err);
	}
}

/* Any thread: the outbox sends now what a job has just queued (the cut-off's draft). */
static void outbox_request(void)
{
	recurring_request(outbox_task);
}

/* Reads the web pages (at start and on SIGHUP); a failure keeps the pages in use. */
static void web_load(const struct config *cfg, const char *how)
{
	char *err = NULL;
	if (static_load(cfg->web_dir, &err) != 0) {
		log_error("web", "%s; %s", err, static_count() ? "the pages loaded before are "
			  "still served" : "the web pages answer 404 until it is corrected (SIGHUP)");
		free(err);
		return;
	}
	log_info("web", "%s %zu files from %s", how, static_count(), cfg->web_dir);
}

/* The status line systemd shows (systemctl status): the database and the next job due. */
static void service_status(char *buf, size_t size)
{
	if (db_is_down()) {
		snprintf(buf, size, "ready: database unavailable, retrying");
		return;
	}
	long long due = scheduler_next_due();
	if (due < 0) {
		snprintf(buf, size, "ready: database connected, no job due");
		return;
	}
	time_t t = (time_t)(due / 1000);
	struct tm tm;
	char when[40];
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(when, sizeof when, "at %lld ms", due);
	snprintf(buf, size, "ready: database connected, next job due %s", when);
}

/* Reads the configuration file again; a bad file is logged and the old settings stay. */
static void reload_config(void)
{
	const struct config *old = config_current();
	struct config *cfg = xmalloc(sizeof *cfg);
	char *err = NULL;
	if (config_load(old->path, cfg, &err) != 0) {
		log_error("config", "reload failed, keeping the old settings: %s", err);
		free(err);
		config_free(cfg);
		free(cfg);
		return;
	}
	char *changed = NULL;
	config_keep_fixed(old, cfg, &changed);
	if (changed) {
		log_warn("config", "%s changed in %s but take effect only after a restart",
			 changed, cfg->path);
		free(changed);
	}
	config_publish(cfg);
	apply_config(cfg);
	if (trust_load(cfg) != 0)
		log_error("signatures", "keeping the certificates read before; correct "
			  "[signatures] trusted_roots in %s", cfg->path);
	web_load(cfg, "read again");
	log_info("config", "reloaded %s", cfg->path);
	housekeeping_kick();	/* reads the series again too */
}

/* SIGHUP: tells systemd a reload runs, reloads, and says ready again (whatever came of it);
 * nothing while stopping, so that systemd never hears "ready" after "stopping". */
static void on_reload(evutil_socket_t sig, short what, void *arg)
{
	if (ev_drain != NULL) {
		log_info("config", "SIGHUP while stopping: not reloaded");
		return;
	}
	sdnotify_reloading();
	reload_config();
	sdnotify_ready();
}

/* Timer while stopping: ends the loop once no request is in flight or the wait is over. */
static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	size_t n = worker_in_flight() + http_unsent();
	if (n == 0) {
		event_base_loopbreak(base);
		return;
	}
	if (clock_mono_ms() >= drain_deadline) {
		log_warn("main", "shutdown timeout: %zu requests still in flight are abandoned", n);
		event_base_loopbreak(base);
	}
}

/* SIGTERM/SIGINT: stop accepting, let requests in flight finish, then exit. */
static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	if (ev_drain) {
		log_info("main", "second signal: stopping now");
		event_base_loopbreak(base);
		return;
	}
	sdnotify_stopping();
	const struct config *cfg = config_current();
	log_info("main", "received %s, stopping (waiting up to %lld ms for %zu requests)",
		 sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg->shutdown_timeout, worker_in_flight());
	http_stop_accepting();
	drain_deadline = clock_mono_ms() + cfg->shutdown_timeout;
	ev_drain = event_new(base, -1, EV_PERSIST, on_drain, NULL);
	struct timeval tv = { 0, 20000 };
	if (ev_drain == NULL || event_add(ev_drain, &tv) != 0) {
		log_error("main", "cannot arm the shutdown timer; stopping now");
		event_base_loopbreak(base);
		return;
	}
	on_drain(-1, 0, NULL);
}

/* Creates a folder (and its parents) if missing; gives it to uid/gid when those are set. */
static int ensure_dir(const char *path, uid_t uid, gid_t gid, bool chown_it)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	if (mkdir(path, 0750) != 0 && errno != EEXIST)
		return -1;
	if (chown_it && chown(path, uid, gid) != 0)
		return -1;
	return 0;
}

/* A delivery folder ([report] delivery_dir) that does not exist yet is made for the daemon's
 * user; an existing one is left as it is (a share's owner decides who writes there). */
static void ensure_delivery_dir(const struct config *cfg, const struct passwd *pw)
{
	if (cfg->delivery_dir[0] == '\0' || access(cfg->delivery_dir, F_OK) == 0)
		return;
	if (ensure_dir(cfg->delivery_dir, pw ? pw->pw_uid : 0, pw ? pw->pw_gid : 0, pw != NULL) != 0)
		log_warn("main", "cannot create [report] delivery_dir %s: %s; deliveries there wait "
			 "and are retried until it exists and the daemon's user may write in it",
			 cfg->delivery_dir, strerror(errno));
}

/* Switches to the configured user when running as root; refuses to run as root otherwise. */
static void drop_privileges(const struct config *cfg)
{
	if (geteuid() != 0) {
		struct passwd *self = getpwuid(geteuid());
		if (cfg->user[0] && (self == NULL || strcmp(self->pw_name, cfg->user) != 0))
			log_info("main", "not root: server.user=%s is ignored", cfg->user);
		if (ensure_dir(cfg->data_dir, 0, 0, false) != 0 ||
		    ensure_dir(cfg->spool_dir, 0, 0, false) != 0)
			fatal("main", "cannot create %s or %s: %s", cfg->data_dir, cfg->spool_dir,
			      strerror(errno));
		ensure_delivery_dir(cfg, NULL);
		return;
	}
	if (cfg->user[0] == '\0')
		fatal("main", "refusing to run as root: set server.user in %s to an unprivileged "
		      "user (e.g. baocao)", cfg->path);
	struct passwd *pw = getpwnam(cfg->user);
	if (pw == NULL)
		fatal("main", "server.user: no such user '%s'; create it (useradd --system %s) "
		      "or name another", cfg->user, cfg->user);
	if (pw->pw_uid == 0)
		fatal("main", "server.user '%s' is root; name an unprivileged user", cfg->user);
	if (ensure_dir(cfg->data_dir, pw->pw_uid, pw->pw_gid, true) != 0 ||
	    ensure_dir(cfg->spool_dir, pw->pw_uid, pw->pw_gid, true) != 0)
		fatal("main", "cannot prepare %s and %s for user %s: %s", cfg->data_dir,
		      cfg->spool_dir, cfg->user, strerror(errno));
	ensure_delivery_dir(cfg, pw);
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		fatal("main", "cannot switch to user %s: %s", cfg->user, strerror(errno));
	if (setuid(0) == 0)
		fatal("main", "still able to regain root after switching to %s", cfg->user);
	log_info("main", "running as user %s", cfg->user);
}

/* The exit status of a start refused because a newer baocao migrated the schema (EX_CONFIG of
 * sysexits.h): baocaod.service does not restart on it (RestartPreventExitStatus=), since
 * starting again cannot help until the right baocao is installed. */
#define EXIT_SCHEMA_NEWER 78

/* Logs why the schema is refused and exits with EXIT_SCHEMA_NEWER. */
static void refuse_newer_schema(const char *why)
{
	log_error("migrate", "refusing to start: %s", why);
	exit(EXIT_SCHEMA_NEWER);
}

/* Applies pending migrations at start when configured to; either way, refuses to run on a
 * schema that a newer baocao migrated. An unreachable database stops the start only when
 * there is migrating to do: without migrate_on_start the daemon starts and waits for it. */
static void schema_at_start(const struct config *cfg)
{
	char *err = NULL;
	PGconn *c = db_connect_once(cfg->conninfo, cfg->time_zone, &err);
	if (c == NULL) {
		char *shown = db_conninfo_shown(cfg->conninfo);
		if (cfg->migrate_on_start)
			fatal("migrate", "cannot connect to the database (%s): %s; check "
			      "database.conninfo in %s and that PostgreSQL is running", shown, err,
			      cfg->path);
		log_warn("migrate", "cannot check the schema's version now (%s): %s", shown, err);
		free(shown);
		free(err);
		return;
	}
	int rc = migrate_check(c, cfg->schema_dir, &err);
	if (rc > 0) {
		PQfinish(c);
		refuse_newer_schema(err);
	}
	if (rc < 0) {
		log_warn("migrate", "cannot check the schema's version: %s", err);
		free(err);
		err = NULL;
	}
	if (!cfg->migrate_on_start) {
		PQfinish(c);
		return;
	}
	int n = migrate_run(c, cfg->schema_dir, NULL, &err);
	PQfinish(c);
	if (n < 0)
		fatal("migrate", "refusing to start: %s", err);
	log_info("migrate", n ? "applied %d migrations" : "schema is up to date (%d applied)", n);
}

/* Adds a signal event or dies. */
static struct event *add_signal(int sig, event_callback_fn cb)
{
	struct event *ev = evsignal_new(base, sig, cb, NULL);
	if (ev == NULL || event_add(ev, NULL) != 0)
		fatal("main", "cannot watch signal %d", sig);
	return ev;
}

int main(int argc, char **argv)
{
	const char *path = getenv("BAOCAO_CONFIG") ? getenv("BAOCAO_CONFIG") : BAOCAO_CONFIG_FILE;
	bool check_only = false;
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, 'V' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "c:trVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'r': list_routes(); return 0;
		case 't': check_only = true; break;
		case 'V': printf("baocaod %s\n", BAOCAO_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}

	struct config *cfg = xmalloc(sizeof *cfg);
	char *err = NULL;
	if (config_load(path, cfg, &err) != 0) {
		fprintf(stderr, "baocaod: %s\n", err);
		return 1;
	}
	if (check_only) {
		printf("%s: configuration is valid\n", path);
		config_free(cfg);
		free(cfg);
		return 0;
	}
	config_publish(cfg);
	log_set_level((enum log_level)cfg->log_level);
	if (setenv("TZ", cfg->time_zone, 1) != 0)
		fatal("main", "cannot set the time zone: %s", strerror(errno));
	tzset();
	int fake = clock_init_from_env();
	if (fake < 0)
		fatal("main", "BAOCAO_FAKE_NOW is not an RFC 3339 time (e.g. 2026-11-27T10:59:59+07:00)");
	if (fake > 0)
		log_warn("main", "test clock in use: BAOCAO_FAKE_NOW=%s", getenv("BAOCAO_FAKE_NOW"));
	if (cfg->clock_control)
		log_warn("main", "[testing] clock_control is on: administrators may move this "
			 "daemon's clock; never use this setting in production");

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("main", "cannot ignore SIGPIPE");
	if (sodium_init() < 0)
		fatal("main", "cannot initialise libsodium");
	if (evthread_use_pthreads() != 0)
		fatal("main", "libevent has no pthreads support");
	if (mail_init() != 0)
		fatal("main", "cannot initialise libcurl");
	char host[64] = "";
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	snprintf(instance, sizeof instance, "%s:%d", host, (int)getpid());
	base = event_base_new();
	if (base == NULL)
		fatal("main", "cannot create the event loop");

	static const struct http_app app = {
		.routes = api_routes, .run = api_run, .authenticate = api_authenticate,
	};
	if (http_bind(base, cfg, &app) != 0)
		fatal("main", "cannot start the HTTP server; is another process on port %lld? "
		      "Change server.port in %s", cfg->port, cfg->path);
	drop_privileges(cfg);
	web_load(cfg, "serving");
	schema_at_start(cfg);
	struct keys keys;
	if (keys_load(cfg->data_dir, (uid_t)-1, (gid_t)-1, &keys, &err) != 0)
		fatal("main", "%s", err);
	keys_set_server(&keys);
	sodium_memzero(&keys, sizeof keys);
	if (trust_load(cfg) != 0)
		fatal("signatures", "correct [signatures] trusted_roots in %s (a PEM file of "
		      "certificates readable by the daemon's user, or empty)", cfg->path);
	worker_set_limits((size_t)cfg->queue_max, cfg->request_timeout);
	if (worker_pool_start(base, (int)cfg->workers, cfg->conninfo, cfg->time_zone) != 0)
		fatal("main", "cannot start the worker threads");
	worker_login_set_limits((size_t)cfg->login_queue, cfg->request_timeout);
	if (worker_login_start(base, (int)cfg->login_workers, cfg->conninfo, cfg->time_zone) != 0)
		fatal("main", "cannot start the login worker threads");

	series_at_start(cfg);
	/* The outbox first: the scheduler's runs ask it to send (outbox_request). */
	outbox_task = recurring_start(base, "outbox", OUTBOX_INTERVAL_MS, outbox_tick, NULL);
	if (outbox_task == NULL)
		fatal("main", "cannot arm the outbox timer");
	recurring_kick(outbox_task);
	const struct scheduler_table jobs = { job_kinds, job_nkinds, outbox_request };
	if (scheduler_start(base, instance, &jobs) != 0)
		fatal("main", "cannot arm the job scheduler's timer");
	if (housekeeping_start(base, HOUSEKEEPING_INTERVAL_MS) != 0)
		fatal("main", "cannot arm the housekeeping timer");
	if (notify_start(cfg->conninfo, cfg->time_zone, housekeeping_request) != 0)
		fatal("main", "cannot start the listener for announced changes");
	log_info("outbox", "sending %s", cfg->smtp_url[0] ? "through [mail] smtp_url" :
		 "into spool_dir/mail as .eml files ([mail] smtp_url is empty)");
	ev_term = add_signal(SIGTERM, on_stop);
	ev_int = add_signal(SIGINT, on_stop);
	ev_hup = add_signal(SIGHUP, on_reload);
	if (sdnotify_start(base, service_status) != 0)
		fatal("main", "cannot arm the systemd watchdog timer");

	log_info("main", "baocaod %s listening on http://%s:%lld/ (%lld workers, %lld login "
		 "workers, zone %s)", BAOCAO_VERSION, cfg->listen, cfg->port, cfg->workers,
		 cfg->login_workers, cfg->time_zone);
	sdnotify_ready();
	if (event_base_dispatch(base) < 0)
		log_error("main", "event loop failed");

	http_stop_accepting();
	size_t abandoned = worker_in_flight();
	if (abandoned > 0) {
		/* Workers are still busy with them; do not free what they use. */
		log_info("main", "stopped with %zu requests abandoned", abandoned);
		_exit(0);
	}
	sdnotify_stop();
	notify_stop();
	housekeeping_stop();
	scheduler_stop();
	recurring_stop(outbox_task);
	worker_pool_stop(true);
	http_free();
	static_free();
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	if (ev_drain)
		event_free(ev_drain);
	event_base_free(base);
	log_info("main", "stopped");
	mail_cleanup();
	config_retire_all();
	series_store_retire_all();
	libevent_global_shutdown();
	return 0;
}
