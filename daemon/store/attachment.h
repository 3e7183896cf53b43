/* Files kept in mail_attachment (the workbooks and documents the outbox sends), written and
 * read in pieces: libpq holds a whole protocol message in its buffers, which grow to the
 * largest message a connection has carried and stay so, so that one file of 12 MiB sent as a
 * parameter or read as one value would leave 16 MiB behind on each connection that did it. */
#ifndef BAOCAO_ATTACHMENT_H
#define BAOCAO_ATTACHMENT_H

#include <libpq-fe.h>
#include <stddef.h>

/* The largest piece written or read at a time. */
#define ATTACHMENT_PIECE (256 * 1024)

/* A file read back: every field a new allocation, data never NULL (len may be 0). */
struct attachment_file {
	char *filename;
	char *content_type;
	unsigned char *data;
	size_t len;
};
void attachment_file_free(struct attachment_file *f);

/*
 * Keeps a file as a new mail_attachment row with COPY in binary, the bytes sent a piece at a
 * time; sha256 is its SHA-256 in hex (64 characters). Works inside the caller's transaction.
 * Returns the row's id, or -1 with *err.
 */
long long attachment_insert(PGconn *conn, const char *filename, const char *content_type,
			    const void *data, size_t len, const char *sha256, char **err);

/*
 * Reads the file of row id (decimal text): its name and type, then its bytes a piece at a
 * time into one buffer of their size (in one snapshot when the connection is not in a
 * transaction already). 0, or -1 with *err (the row missing, or the database failing).
 */
int attachment_read(PGconn *conn, const char *id, struct attachment_file *out, char **err);

#endif
