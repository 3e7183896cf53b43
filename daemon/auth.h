/* Passwords (Argon2id), API tokens and their hashes. */
#ifndef BAOCAO_AUTH_H
#define BAOCAO_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_HASH_BYTES 32

/* Initialises libsodium; returns 0 or -1. Call once at start. */
int auth_init(void);
/* Hashes a password with Argon2id into a new string; NULL if out of memory for hashing. */
char *auth_password_hash(const char *password);
/* Whether password matches an Argon2id hash string. */
bool auth_password_verify(const char *hash, const char *password);
/* A new random password of readable characters (no 0/O, 1/l/I). */
char *auth_password_generate(void);
/* A new random API token, "bct_" followed by 43 base64url characters. */
char *auth_token_generate(void);
/* The SHA-256 of a token, as stored in the database. */
void auth_token_hash(const char *token, unsigned char out[AUTH_HASH_BYTES]);
/* Lower-case hex of bytes into a new string. */
char *auth_hex(const unsigned char *bytes, size_t n);

#endif
