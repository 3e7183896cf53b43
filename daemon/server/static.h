/* The web pages: the files of web_dir, loaded and gzipped once, served from memory. */
#ifndef BAOCAO_STATIC_H
#define BAOCAO_STATIC_H

#include "http.h"

#include <stdbool.h>

/*
 * Loop thread: reads the servable files of dir (regular files with a known extension, a
 * plain name, within the size limits; nothing below it) and replaces the set in use. On
 * failure returns -1 with *err set and the set in use stays.
 */
int static_load(const char *dir, char **err);
/* The number of files being served. */
size_t static_count(void);
/* Frees the set in use. */
void static_free(void);

/* GET / and GET /{file}: a file of the set (ROUTE_INLINE: runs on the loop thread). */
void static_serve(struct http_request *rq, struct http_response *rs, struct db *db);

/* Whether an Accept-Encoding value accepts gzip (q-values honoured). */
bool static_accepts_gzip(const char *accept_encoding);
/* Whether an If-None-Match value names etag (weak comparison, "*" matches). */
bool static_etag_matches(const char *if_none_match, const char *etag);

#endif
