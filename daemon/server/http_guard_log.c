/* What the connection guard refused or closed, logged at most once a minute per kind: a flood
 * of refused connections makes one line a minute with its count, not one line each. */
#include "http_guard_log.h"
#include "clock.h"
#include "log.h"
#include "netaddr.h"

#include <stdio.h>
#include <string.h>

#define LOG_EVERY_MS 60000	/* a refusal of the same kind is logged at most this often */
#define NOTES_MAX 32		/* kinds of refusal (addresses) followed for the log at once */

/* A kind of refusal followed for the log: a capped address, or the global cap. */
struct note {
	char key[NETADDR_KEY_MAX + 16];
	const char *why;		/* the limit (a static string) */
	long long last_log;
	unsigned long count;
};

static struct note notes[NOTES_MAX];
static unsigned long slow_heads, slow_bodies;
static long long slow_logged;

/* One connection closed for its slow head (head) or slow body. */
void guard_log_slow(bool head)
{
	if (head)
		slow_heads++;
	else
		slow_bodies++;
}

/* The note of a key, or a slot free for it (unused, or quiet for a minute); NULL if none. */
static struct note *note_find(const char *key, long long now)
{
	struct note *free_slot = NULL;
	for (size_t i = 0; i < NOTES_MAX; i++) {
		struct note *n = &notes[i];
		if (strcmp(n->key, key) == 0)
			return n;
		if (free_slot == NULL &&
		    (n->key[0] == '\0' || (n->count == 0 && now - n->last_log >= LOG_EVERY_MS)))
			free_slot = n;
	}
	return free_slot;
}

/* One refusal of a kind (see http_guard_log.h). */
void guard_log_refusal(const char *key, const char *why)
{
	long long now = clock_mono_ms();
	struct note *n = note_find(key, now);
	if (n == NULL) {
		key = "other addresses";
		n = note_find(key, now);
		if (n == NULL)
			n = &notes[NOTES_MAX - 1];	/* only while all others are busy */
	}
	if (strcmp(n->key, key) != 0) {
		if (n->count)
			log_warn("http", "guard: %s: %lu connections refused (%s)", n->key, n->count,
				 n->why);
		snprintf(n->key, sizeof n->key, "%s", key);
		n->why = why;
		n->count = 0;
		n->last_log = 0;
	}
	n->count++;
	if (n->last_log == 0 || now - n->last_log >= LOG_EVERY_MS) {
		log_warn("http", "guard: %s: %lu connection%s refused (%s); logged at most once a "
			 "minute", n->key, n->count, n->count == 1 ? "" : "s", n->why);
		n->count = 0;
		n->last_log = now;
	}
}

/* Logs what was counted since its last line, once a minute (see http_guard_log.h). */
void guard_log_flush(long long now)
{
	for (size_t i = 0; i < NOTES_MAX; i++) {
		struct note *n = &notes[i];
		if (n->count && now - n->last_log >= LOG_EVERY_MS) {
			log_warn("http", "guard: %s: %lu connections refused in the last minute (%s)",
				 n->key, n->count, n->why);
			n->count = 0;
			n->last_log = now;
		}
	}
	if ((slow_heads || slow_bodies) && now - slow_logged >= LOG_EVERY_MS) {
		log_warn("http", "guard: closed %lu connections whose head took longer than "
			 "head_timeout and %lu whose body came slower than min_body_rate",
			 slow_heads, slow_bodies);
		slow_heads = slow_bodies = 0;
		slow_logged = now;
	}
}
