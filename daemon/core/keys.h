/* The server's secrets in data_dir: the workbook MAC key and the receipt signing key. */
#ifndef BAOCAO_KEYS_H
#define BAOCAO_KEYS_H

#include <sodium.h>
#include <sys/types.h>

struct keys {
	unsigned char mac[32];					/* workbook MAC (HMAC-SHA-256) */
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];	/* receipts (Ed25519) */
	unsigned char sign_sk[crypto_sign_SECRETKEYBYTES];
};

/*
 * Reads the keys from data_dir, creating any that is missing (mode 0600; given to owner when
 * uid is not (uid_t)-1). Returns 0, or -1 with *err saying which file and what to do.
 */
int keys_load(const char *data_dir, uid_t uid, gid_t gid, struct keys *out, char **err);


/* The daemon's keys, set once at start before the workers run. */
void keys_set_server(const struct keys *k);
const struct keys *keys_server(void);

#endif
