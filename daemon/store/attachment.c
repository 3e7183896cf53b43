/* Files kept in mail_attachment, written with COPY and read with substring(), a piece at a
 * time, so that no connection's buffers ever hold a whole file (attachment.h). */
#include "attachment.h"
#include "db.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* COPY's binary format: the signature, the flags and the length of the header's extension. */
static const char copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

void attachment_file_free(struct attachment_file *f)
{
	free(f->filename);
	free(f->content_type);
	free(f->data);
	memset(f, 0, sizeof *f);
}

/* Appends n as 4 bytes, most significant first. */
static void put_u32(struct strbuf *b, uint32_t n)
{
	char be[4] = { (char)(n >> 24), (char)(n >> 16), (char)(n >> 8), (char)n };
	strbuf_add(b, be, 4);
}

/* Appends a field of COPY's binary format: its length, then its bytes. */
static void put_field(struct strbuf *b, const void *p, size_t n)
{
	put_u32(b, (uint32_t)n);
	strbuf_add(b, p, n);
}

/* The 32 bytes of a SHA-256 in hex; 0, or -1 when it is not 64 hex digits. */
static int sha256_bytes(const char *hex, unsigned char out[32])
{
	if (hex == NULL || strlen(hex) != 64)
		return -1;
	for (size_t i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* Sends the row: the header and the small fields, the file a piece at a time, the trailer;
 * 0, or -1 when libpq failed to take a piece. */
static int copy_row(PGconn *conn, const char *filename, const char *content_type,
		    const unsigned char *data, size_t len, const unsigned char sha[32])
{
	struct strbuf b = STRBUF_INIT;
	strbuf_add(&b, copy_header, sizeof copy_header);
	strbuf_add(&b, "\0\4", 2);			/* four fields */
	put_field(&b, filename, strlen(filename));
	put_field(&b, content_type, strlen(content_type));
	put_u32(&b, (uint32_t)len);			/* the file's bytes follow */
	int rc = PQputCopyData(conn, b.data, (int)b.len) == 1 ? 0 : -1;
	for (size_t at = 0; rc == 0 && at < len; at += ATTACHMENT_PIECE) {
		size_t n = len - at < ATTACHMENT_PIECE ? len - at : ATTACHMENT_PIECE;
		rc = PQputCopyData(conn, (const char *)data + at, (int)n) == 1 ? 0 : -1;
	}
	strbuf_reset(&b);
	put_field(&b, sha, 32);
	strbuf_add(&b, "\377\377", 2);			/* the end of the rows */
	if (rc == 0)
		rc = PQputCopyData(conn, b.data, (int)b.len) == 1 ? 0 : -1;
	strbuf_free(&b);
	return rc;
}

long long attachment_insert(PGconn *conn, const char *filename, const char *content_type,
			    const void *data, size_t len, const char *sha256, char **err)
{
	unsigned char sha[32];
	if (sha256_bytes(sha256, sha) != 0 || len > INT32_MAX) {
		*err = xasprintf("attachment %s: %s", filename, len > INT32_MAX ? "too large" :
				 "its SHA-256 is not 64 hex digits");
		return -1;
	}
	PGresult *r = PQexec(conn, "COPY mail_attachment (filename, content_type, data, sha256) "
			     "FROM STDIN (FORMAT binary)");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		*err = xasprintf("attachment %s: %s", filename, str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	int sent = copy_row(conn, filename, content_type, data, len, sha);
	/* Ended either way, so that the connection leaves the COPY state. */
	int ended = PQputCopyEnd(conn, sent == 0 ? NULL : "the file could not be sent");
	char *why = NULL;
	while ((r = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && why == NULL)
			why = xstrdup(str_trim(PQresultErrorMessage(r)));
		PQclear(r);
	}
	if (why == NULL && (sent != 0 || ended != 1))
		why = xstrdup(str_trim(PQerrorMessage(conn)));
	if (why != NULL) {
		*err = xasprintf("attachment %s: %s", filename, why);
		free(why);
		return -1;
	}
	r = db_run(conn, "attachment", "SELECT currval(pg_get_serial_sequence("
		   "'mail_attachment', 'id'))", 0, NULL, err);
	if (r == NULL)
		return -1;
	long long id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return id;
}

/* Reads the row's bytes into out->data, a piece at a time; 0 or -1 with *err. */
static int read_pieces(PGconn *conn, const char *id, struct attachment_file *out, char **err)
{
	for (size_t at = 0; at < out->len; at += ATTACHMENT_PIECE) {
		size_t want = out->len - at < ATTACHMENT_PIECE ? out->len - at : ATTACHMENT_PIECE;
		char from[24], count[24];
		snprintf(from, sizeof from, "%zu", at + 1);
		snprintf(count, sizeof count, "%zu", want);
		const char *p[] = { id, from, count };
		PGresult *r = db_query_binary(conn,
			"SELECT substring(data FROM $2::int FOR $3::int) FROM mail_attachment "
			"WHERE id = $1::bigint", 3, p);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
		    (size_t)PQgetlength(r, 0, 0) != want) {
			*err = PQresultStatus(r) != PGRES_TUPLES_OK
			       ? xasprintf("attachment %s: %s", id,
					   str_trim(PQresultErrorMessage(r)))
			       : xasprintf("attachment %s: changed while it was read", id);
			PQclear(r);
			return -1;
		}
		memcpy(out->data + at, PQgetvalue(r, 0, 0), want);
		PQclear(r);
	}
	return 0;
}

int attachment_read(PGconn *conn, const char *id, struct attachment_file *out, char **err)
{
	memset(out, 0, sizeof *out);
	/* One snapshot for every piece, unless the caller's transaction gives one already. */
	bool own = PQtransactionStatus(conn) == PQTRANS_IDLE;
	if (own && db_command(conn, "attachment",
			      "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", err) != 0)
		return -1;
	const char *p[] = { id };
	PGresult *r = db_run(conn, "attachment",
		"SELECT filename, content_type, octet_length(data) FROM mail_attachment "
		"WHERE id = $1::bigint", 1, p, err);
	int rc = r != NULL ? 0 : -1;
	if (rc == 0 && PQntuples(r) != 1) {
		*err = xasprintf("attachment %s: not kept", id);
		rc = -1;
	}
	if (rc == 0) {
		out->filename = xstrdup(PQgetvalue(r, 0, 0));
		out->content_type = xstrdup(PQgetvalue(r, 0, 1));
		out->len = (size_t)atoll(PQgetvalue(r, 0, 2));
		out->data = xmalloc(out->len ? out->len : 1);
		rc = read_pieces(conn, id, out, err);
	}
	PQclear(r);
	if (own) {
		char *why = NULL;
		if (db_command(conn, "attachment", rc == 0 ? "COMMIT" : "ROLLBACK", &why) != 0) {
			if (rc == 0)
				*err = why;
			else
				free(why);
			rc = -1;
		}
	}
	if (rc != 0)
		attachment_file_free(out);
	return rc;
}
