/* systemd's notify protocol through libsystemd's sd_notify: a no-op without NOTIFY_SOCKET. */
#include "sdnotify.h"
#include "log.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#define STATUS_INTERVAL_USEC (10 * 1000 * 1000ULL)	/* STATUS= follows within 10 s */

static bool listening;		/* NOTIFY_SOCKET was set at start */
static bool watchdog;		/* WATCHDOG_USEC (for this process) was set at start */
static struct event *timer;
static sdnotify_status_fn status_of;
static char last_status[256];
static bool stopping;		/* STOPPING=1 sent: the status says so until the end */

/* Sends one notification; a failure is logged once, the daemon goes on. */
static void send_state(const char *state)
{
	static bool warned;
	int r = sd_notify(0, state);
	if (r < 0 && !warned) {
		warned = true;
		log_warn("systemd", "cannot notify systemd (%s): %s", state, strerror(-r));
	}
}

/* Sends STATUS= from the status function when it changed since the last one sent. */
static void refresh_status(bool force)
{
	char buf[sizeof last_status];
	if (status_of == NULL || stopping)
		return;
	buf[0] = '\0';
	status_of(buf, sizeof buf);
	if (!force && strcmp(buf, last_status) == 0)
		return;
	sdnotify_status(buf);
}

/* Loop: the timer went off, so the loop turns: tell the watchdog, and the status if new. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	if (watchdog)
		send_state("WATCHDOG=1");
	refresh_status(false);
}

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC, and arms the timer when systemd listens. */
int sdnotify_start(struct event_base *base, sdnotify_status_fn status_fn)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	if (sock == NULL || sock[0] == '\0')
		return 0;
	listening = true;
	status_of = status_fn;
	uint64_t usec = STATUS_INTERVAL_USEC;
	uint64_t wd = 0;
	int r = sd_watchdog_enabled(0, &wd);
	if (r < 0)
		log_warn("systemd", "WATCHDOG_USEC is not valid: %s; no watchdog", strerror(-r));
	if (r > 0 && wd > 0) {
		watchdog = true;
		if (wd / 2 < usec)
			usec = wd / 2;
		if (usec == 0)
			usec = 1;
		log_info("systemd", "watchdog every %llu ms (WATCHDOG_USEC=%llu)",
			 (unsigned long long)(usec / 1000), (unsigned long long)wd);
	}
	timer = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	struct timeval tv = { (time_t)(usec / 1000000), (suseconds_t)(usec % 1000000) };
	if (timer == NULL || event_add(timer, &tv) != 0)
		return -1;
	return 0;
}

/* READY=1 together with the current status. */
void sdnotify_ready(void)
{
	if (!listening)
		return;
	refresh_status(true);
	send_state("READY=1");
}

/* RELOADING=1 with the monotonic time of the reload, as systemd asks. */
void sdnotify_reloading(void)
{
	if (!listening)
		return;
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return;
	char msg[96];
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	send_state(msg);
}

/* STOPPING=1, with a status saying so. */
void sdnotify_stopping(void)
{
	if (!listening)
		return;
	stopping = true;
	send_state("STOPPING=1");
	sdnotify_status("stopping: finishing the requests in flight");
}

/* STATUS=text; remembered so that the timer sends only changes. */
void sdnotify_status(const char *text)
{
	if (!listening)
		return;
	snprintf(last_status, sizeof last_status, "%s", text);
	char msg[sizeof last_status + 8];
	snprintf(msg, sizeof msg, "STATUS=%s", last_status);
	send_state(msg);
}

/* Stops the timer. */
void sdnotify_stop(void)
{
	if (timer) {
		event_free(timer);
		timer = NULL;
	}
	status_of = NULL;
}
