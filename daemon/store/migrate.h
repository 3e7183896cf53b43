/* Schema migrations: schema/NNN_name.sql applied in order, each in one transaction, recorded. */
#ifndef BAOCAO_MIGRATE_H
#define BAOCAO_MIGRATE_H

#include <libpq-fe.h>
#include <stdio.h>

/*
 * Applies the migrations of dir that the database has not recorded yet. Progress lines go to
 * progress when it is not NULL. Returns how many were applied, or -1 with *err set (nothing of
 * the failing migration stays applied).
 */
int migrate_run(PGconn *conn, const char *dir, FILE *progress, char **err);

/*
 * Checks that the database has applied no migration that dir does not have (a newer baocao
 * migrated it; migrate_run refuses it the same way). Returns 0 when so, 1 with *err saying
 * both versions and what to do, or -1 with *err when the check itself failed.
 */
int migrate_check(PGconn *conn, const char *dir, char **err);

/* The version of the newest migration in dir (0 when it has none), or -1 with *err. */
int migrate_newest(const char *dir, char **err);

struct db;
/* The schema's version as text ("0" before the first migration) into buf, on the holder's
 * connection: 0, or -1 when the statement failed (db_connection_lost() and db_conn() then
 * tell an unreachable database from a missing schema). */
int migrate_version(struct db *db, char *buf, size_t size);

#endif
