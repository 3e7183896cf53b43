/* X-Forwarded-For from a peer that is not a trusted proxy: a warning in the log and /readyz. */
#ifndef BAOCAO_HTTP_FORWARDED_H
#define BAOCAO_HTTP_FORWARDED_H

#include "util.h"

/* How long /readyz keeps saying so after the last such request. */
#define HTTP_FORWARDED_RECENT_MS (60LL * 60 * 1000)

/* Loop thread: a request from peer carried X-Forwarded-For, and peer is not in
 * trusted_proxies; logged once a minute at most. */
void http_forwarded_untrusted(const char *peer);
/* Any thread: appends ,"untrusted_forwarded_for":true to a JSON object being written when such
 * a request came within HTTP_FORWARDED_RECENT_MS. */
void http_forwarded_readyz(struct strbuf *json_body);

#endif
