/* Changes made by another process that move due times (baocaoctl's period overrides and
 * imports) are announced on a database channel; a daemon thread listening on it has the jobs
 * planned again at once, rather than at the next minute's housekeeping. */
#ifndef BAOCAO_NOTIFY_H
#define BAOCAO_NOTIFY_H

#include <libpq-fe.h>

#define NOTIFY_CHANNEL "baocao_plan"

/* Starts the listener thread with a connection of its own (reconnecting with a backoff while
 * the database is away); changed() is called on that thread for every announcement and after
 * each reconnection, since announcements may have been missed meanwhile. Returns 0 or -1
 * (logged). */
int notify_start(const char *conninfo, const char *time_zone, void (*changed)(void));
/* Stops the thread and closes its connection. */
void notify_stop(void);
/* Announces a change (inside the caller's transaction it is sent at commit). 0, or -1 with
 * *err. */
int notify_announce(PGconn *conn, char **err);

#endif
