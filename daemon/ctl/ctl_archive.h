/* What baocaoctl backup and restore share: PostgreSQL's own tools of the server's major version
 * run with the configured connection, files copied whole (fsynced) and their SHA-256. */
#ifndef BAOCAO_CTL_ARCHIVE_H
#define BAOCAO_CTL_ARCHIVE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ctl;

/* A backup folder: baocao-YYYYMMDDTHHMMSSZ, with ".partial" while it is written. */
#define ARCHIVE_PREFIX "baocao-"
#define ARCHIVE_PARTIAL ".partial"
#define ARCHIVE_MANIFEST "manifest.json"
#define ARCHIVE_DUMP "database.dump"
#define ARCHIVE_CONFIG "baocaod.conf"
#define ARCHIVE_FORMAT 1

/* The key files of data_dir a backup holds (keys.c), NULL-terminated. */
extern const char *const ctl_archive_keys[];

/* The path of PostgreSQL's program name (pg_dump, pg_restore) of the server's major version:
 * /usr/lib/postgresql/MAJOR/bin/name, else one on PATH of that version or newer; NULL after
 * printing what to install. Free it. */
char *ctl_pg_program(PGconn *db, const char *name);
/*
 * Runs a PostgreSQL program with args (NULL-terminated) on the database of the configuration:
 * the connection string without its password goes as --dbname, the password in the child's
 * environment only. Run as root, the program runs as server.user, as baocaoctl's own
 * connection does (ctl_db), so that peer authentication sees the daemon's user. Standard input
 * comes from in_fd and standard output goes to out_fd, each unless -1 (files opened here, by
 * whoever runs baocaoctl). 0 when the program exited 0; -1 after printing why not.
 */
int ctl_pg_run(struct ctl *ctl, const char *program, const char *const *args, int in_fd,
	       int out_fd);
/* Size and lower-case hex SHA-256 of a file; 0, or -1 with errno set. */
int ctl_file_sha256(const char *path, char hex[65], long long *size);
/* fsync of a file or folder by path; 0, or -1 with errno set. */
int ctl_fsync_path(const char *path);
/* Copies src to the new file dst (mode 0600, O_EXCL), fsynced, given to uid:gid unless uid is
 * (uid_t)-1; 0, or -1 with errno set (dst removed). */
int ctl_copy_file(const char *src, const char *dst, uid_t uid, gid_t gid);
/* The current UTC time into buf, as 20261211T193000Z (compact) or 2026-12-11T19:30:00Z;
 * "unknown" if the clock cannot be read. Returns buf. */
const char *ctl_utc_now(bool compact, char *buf, size_t size);
/* A size for people ("12.3 MiB") into buf; returns buf. */
const char *ctl_human_size(long long bytes, char *buf, size_t size);

#endif
