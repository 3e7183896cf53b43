/* Client addresses as the limits count them: one key per address (an IPv6 one by its /64),
 * and membership in a list of addresses such as trusted_proxies. */
#ifndef BAOCAO_NETADDR_H
#define BAOCAO_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#define NETADDR_KEY_MAX 64

/* The key an address is counted under: IPv4 as it is (also when mapped into IPv6), IPv6 by
 * its /64 ("2001:db8:1:2::/64", one subscriber's block); anything else as it is, cut to fit. */
void netaddr_key(const char *address, char out[NETADDR_KEY_MAX]);
/* Whether addr (len bytes, not necessarily terminated) is one of the addresses of a list
 * separated by commas or blanks, compared as text. */
bool netaddr_listed(const char *list, const char *addr, size_t len);

#endif
