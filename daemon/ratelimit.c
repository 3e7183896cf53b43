/* Per-account rate limits: a fixed window of one minute, kept in memory. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdint.h>

#define RL_SLOTS 4096	/* accounts tracked at once; a busy slot is reused when its window ends */

struct rl_slot {
	long long account;
	time_t window;		/* start of the minute */
	long long count;
};

static struct {
	pthread_mutex_t lock;
	struct rl_slot slot[RL_SLOTS];
} rl = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Counts an event and says whether it is allowed. */
bool ratelimit_allow(long long account_id, long long per_minute, time_t now, int *retry_after)
{
	if (per_minute <= 0)
		return true;
	time_t window = now - now % 60;
	uint64_t h = (uint64_t)account_id * 0x9E3779B97F4A7C15ULL;
	bool allowed = true;
	pthread_mutex_lock(&rl.lock);
	for (int probe = 0; probe < 8; probe++) {
		struct rl_slot *s = &rl.slot[(h + (uint64_t)probe) % RL_SLOTS];
		if (s->account != account_id && s->account != 0 && s->window == window)
			continue;	/* another account's live slot */
		if (s->account != account_id || s->window != window) {
			s->account = account_id;
			s->window = window;
			s->count = 0;
		}
		if (s->count >= per_minute) {
			allowed = false;
			*retry_after = (int)(window + 60 - now);
		} else {
			s->count++;
		}
		break;
	}
	pthread_mutex_unlock(&rl.lock);
	return allowed;
}
