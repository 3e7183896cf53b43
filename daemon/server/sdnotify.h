/* systemd's notify protocol (Type=notify): ready, reloading, stopping, status, watchdog. */
#ifndef BAOCAO_SDNOTIFY_H
#define BAOCAO_SDNOTIFY_H

#include <event2/event.h>

/* Writes the current status line (STATUS=) into buf; called on the loop thread. */
typedef void (*sdnotify_status_fn)(char *buf, size_t size);

/*
 * Loop thread: when systemd listens (NOTIFY_SOCKET), arms a timer that sends WATCHDOG=1 at
 * half of WATCHDOG_USEC while the loop turns, and STATUS= from status_fn when it changed.
 * Without NOTIFY_SOCKET it does nothing. Returns 0 or -1.
 */
int sdnotify_start(struct event_base *base, sdnotify_status_fn status_fn);
/* READY=1 with the current status. */
void sdnotify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC=, before the configuration is read again. */
void sdnotify_reloading(void);
/* STOPPING=1, at the start of a graceful stop. */
void sdnotify_stopping(void);
/* Sends STATUS=text now (when systemd listens). */
void sdnotify_status(const char *text);
/* Loop thread: stops the timer. */
void sdnotify_stop(void);

#endif
