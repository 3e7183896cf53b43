/* The HTTP server: evhttp, the routing table, limits, and the hand-off of requests to workers. */
#ifndef BAOCAO_HTTP_H
#define BAOCAO_HTTP_H

#include "http_message.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct db;
struct config;

/* Binds the listening socket and serves app (kept, not copied); returns 0 or -1 (logged). Call
 * before dropping privileges. */
int http_bind(struct event_base *base, const struct config *cfg, const struct http_app *app);
/* Applies the reloadable limits of cfg. */
void http_apply_config(const struct config *cfg);
/* Stops accepting new connections; requests in flight go on. */
void http_stop_accepting(void);
/* Replies handed to evhttp and not yet written out (graceful stop waits for them). */
size_t http_unsent(void);
/* Frees the server. */
void http_free(void);

#endif
