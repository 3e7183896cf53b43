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

/* Inserts one entry inside the caller's transaction. Returns 0, or -1 with *err set. */
int audit_write(PGconn *conn, const struct audit_entry *e, char **err);

#endif
