/* X-Forwarded-For from a peer that is not a trusted proxy: a warning in the log and /readyz. */
#include "http_forwarded.h"
#include "clock.h"
#include "log.h"

#include <stdatomic.h>

#define LOG_INTERVAL_MS 60000

/* Monotonic ms of the last such request and of the last log line; 0: never. */
static _Atomic long long last_seen_ms;
static long long last_logged_ms;	/* loop thread only */

/* Notes a request whose X-Forwarded-For is not believed. */
void http_forwarded_untrusted(const char *peer)
{
	long long now = clock_mono_ms();
	last_seen_ms = now;
	if (last_logged_ms != 0 && now - last_logged_ms < LOG_INTERVAL_MS)
		return;
	last_logged_ms = now;
	log_warn("http", "requests from %s carry X-Forwarded-For, but %s is not in "
		 "[server] trusted_proxies: every client behind it counts as one address (login "
		 "limits, logs). Add the proxy's address to trusted_proxies, or remove the header",
		 peer, peer);
}

/* Says so in /readyz while it is recent. */
void http_forwarded_readyz(struct strbuf *json_body)
{
	long long seen = last_seen_ms;
	if (seen != 0 && clock_mono_ms() - seen < HTTP_FORWARDED_RECENT_MS)
		strbuf_adds(json_body, ",\"untrusted_forwarded_for\":true");
}
