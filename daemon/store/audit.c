/* The audit log: who did what to which object, when, from where. */
#include "audit.h"
#include "db.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

/* Inserts one audit entry. */
int audit_write(PGconn *conn, const struct audit_entry *e, char **err)
{
	char account[24];
	snprintf(account, sizeof account, "%lld", e->account_id);
	const char *params[] = {
		e->account_id ? account : NULL,
		e->actor,
		e->action,
		e->object_type,
		e->object_id ? e->object_id : "",
		e->detail_json ? e->detail_json : "{}",
		e->remote_addr ? e->remote_addr : "",
	};
	char *why = NULL;
	PGresult *r = db_run(conn, "audit",
		"INSERT INTO audit_log (account_id, actor, action, object_type, object_id, detail, "
		"remote_addr) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)", 7, params, &why);
	if (r == NULL) {
		*err = xasprintf("cannot write the audit log: %s", why);
		free(why);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* Inserts an entry by who. */
int audit_write_by(PGconn *conn, const struct audit_who *who, const char *action,
		   const char *object_type, const char *object_id, const char *detail_json,
		   char **err)
{
	struct audit_entry e = { who ? who->account_id : 0, who ? who->actor : "baocaod", action,
				 object_type, object_id, detail_json, who ? who->remote_addr : NULL };
	return audit_write(conn, &e, err);
}
