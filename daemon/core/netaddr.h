/* Client addresses as the limits count them: one key per address (an IPv6 one by its /64),
 * and lists of address ranges (CIDR) such as trusted_proxies and readyz_trusted. */
#ifndef BAOCAO_NETADDR_H
#define BAOCAO_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#define NETADDR_KEY_MAX 64

/* The key an address is counted under: IPv4 as it is (also when mapped into IPv6), IPv6 by
 * its /64 ("2001:db8:1:2::/64", one subscriber's block); anything else as it is, cut to fit. */
void netaddr_key(const char *address, char out[NETADDR_KEY_MAX]);
/*
 * Whether every entry of list (separated by blanks or commas; an address alone is a range of
 * one) is an IPv4 or IPv6 address with an optional prefix length. An empty list is valid.
 */
bool netaddr_list_valid(const char *list);
/*
 * Whether addr (an IPv4 or IPv6 address as text; an IPv4-mapped IPv6 address counts as its
 * IPv4 form) lies in one of the ranges of list. False for anything that is not an address.
 */
bool netaddr_list_match(const char *list, const char *addr);
/* The same for addr of len bytes, not necessarily terminated. */
bool netaddr_listed(const char *list, const char *addr, size_t len);

#endif
