/* Passwords (Argon2id), API tokens and their hashes. */
#include "auth.h"
#include "util.h"

#include <sodium.h>
#include <string.h>

/* Initialises libsodium. */
int auth_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* Hashes a password with Argon2id at the interactive cost. */
char *auth_password_hash(const char *password)
{
	char out[crypto_pwhash_STRBYTES];
	if (crypto_pwhash_str_alg(out, password, strlen(password),
				  crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return NULL;
	return xstrdup(out);
}

/* Checks a password against its hash. */
bool auth_password_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* A random 16-character password from an unambiguous alphabet. */
char *auth_password_generate(void)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char out[17];
	for (int i = 0; i < 16; i++)
		out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
	out[16] = '\0';
	return xstrdup(out);
}

/* A random token of 256 bits. */
char *auth_token_generate(void)
{
	unsigned char raw[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return xasprintf("bct_%s", b64);
}

/* SHA-256 of a token. */
void auth_token_hash(const char *token, unsigned char out[AUTH_HASH_BYTES])
{
	crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

/* Hex encoding. */
char *auth_hex(const unsigned char *bytes, size_t n)
{
	char *out = xmalloc(n * 2 + 1);
	sodium_bin2hex(out, n * 2 + 1, bytes, n);
	return out;
}
