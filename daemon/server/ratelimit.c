/* Per-account upload limits: a fixed window of one minute, kept in each daemon's memory. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdint.h>

#define RL_SLOTS 16384	/* keys tracked at once; a slot is reused when its minute ends */

struct rl_slot {
	long long account;	/* the key: an account id */
	time_t window;		/* start of the minute */
	long long count;
};

static struct {
	pthread_mutex_t lock;
	struct rl_slot slot[RL_SLOTS];
} rl = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The slot of a key in the current window (emptied when its minute is over); NULL when the
 * probed slots all hold other live keys (then nothing is limited: the table is sized so that
 * this does not happen with the accounts of a province). Called with the lock held. */
static struct rl_slot *rl_slot(long long key, time_t window)
{
	uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ULL;
	for (int probe = 0; probe < 8; probe++) {
		struct rl_slot *s = &rl.slot[(h + (uint64_t)probe) % RL_SLOTS];
		if (s->account != key && s->account != 0 && s->window == window)
			continue;	/* another key's live slot */
		if (s->account != key || s->window != window) {
			s->account = key;
			s->window = window;
			s->count = 0;
		}
		return s;
	}
	return NULL;
}

/* Counts an event and says whether it is allowed. */
bool ratelimit_allow(long long account_id, long long per_minute, time_t now, int *retry_after)
{
	if (per_minute <= 0)
		return true;
	time_t window = now - now % 60;
	bool allowed = true;
	pthread_mutex_lock(&rl.lock);
	struct rl_slot *s = rl_slot(account_id, window);
	if (s && s->count >= per_minute) {
		allowed = false;
		*retry_after = (int)(window + 60 - now);
	} else if (s) {
		s->count++;
	}
	pthread_mutex_unlock(&rl.lock);
	return allowed;
}
