/* The working-day calendar in the database: one day's entry written or removed, with its audit
 * entry (baocaoctl import calendar and the admin pages). */
#ifndef BAOCAO_CALENDAR_STORE_H
#define BAOCAO_CALENDAR_STORE_H

#include "audit.h"
#include "calendar.h"

#include <libpq-fe.h>

/* What calendar_store_day did. */
enum calendar_store_outcome { CALENDAR_UNCHANGED, CALENDAR_ADDED, CALENDAR_UPDATED };

/* Adds or updates one day in the caller's transaction; returns an outcome or -1 with *err. */
int calendar_store_day(PGconn *conn, cal_day day, enum cal_day_kind kind, const char *note,
		       char **err);
/* Sets one day in its own transaction with an audit entry "set" (when it changed); returns
 * an outcome or -1 with *err. */
int calendar_store_set(PGconn *conn, cal_day day, enum cal_day_kind kind, const char *note,
		       const struct audit_who *who, char **err);
/* Removes one day's entry with an audit entry "remove"; 1 removed, 0 there was none, -1 with
 * *err. */
int calendar_store_remove(PGconn *conn, cal_day day, const struct audit_who *who, char **err);

/* The days entered for a year ("2026"; NULL: every year), in order: day (YYYY-MM-DD), kind,
 * note, the weekday in English ("Mon"); NULL with *err. The admin page and baocaoctl calendar
 * list. */
PGresult *calendar_store_list(PGconn *conn, const char *year, char **err);

#endif
