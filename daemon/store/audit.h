/* The audit log: who did what to which object, when, from where. */
#ifndef BAOCAO_AUDIT_H
#define BAOCAO_AUDIT_H

#include <libpq-fe.h>

struct audit_entry {
	long long account_id;	/* 0 when not an account (e.g. baocaoctl) */
	const char *actor;	/* login, or "baocaoctl (user)" */
	const char *action;
	const char *object_type;
	const char *object_id;	/* may be NULL */
	const char *detail_json;	/* a JSON object, or NULL */
	const char *remote_addr;	/* may be NULL */
};

/* Who acts, for the entries a library function writes on the caller's behalf: an account
 * (the admin pages) or baocaoctl (account_id 0, actor "baocaoctl (user)"). */
struct audit_who {
	long long account_id;
	const char *actor;
	const char *remote_addr;	/* may be NULL */
};

/* Inserts one entry inside the caller's transaction. Returns 0, or -1 with *err set. */
int audit_write(PGconn *conn, const struct audit_entry *e, char **err);
/* Inserts an entry by who (NULL: "baocaod") inside the caller's transaction; 0 or -1. */
int audit_write_by(PGconn *conn, const struct audit_who *who, const char *action,
		   const char *object_type, const char *object_id, const char *detail_json,
		   char **err);

#endif
