#include "ads/ads.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static int
parse_port(const char *address, const char *s, char **errmsg)
{
	unsigned long port = 0;

	if (*s == '\0') {
		*errmsg = xasprintf("xDS address \"%s\": missing port after ':'", address);
		return -1;
	}
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) || port > 65535) {
			*errmsg = xasprintf("xDS address \"%s\": port \"%s\" is not "
			    "a number from 0 to 65535", address, s);
			return -1;
		}
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535) {
		*errmsg = xasprintf("xDS address \"%s\": port %lu is out of range "
		    "(0 to 65535)", address, port);
		return -1;
	}
	return (int)port;
}

static bool
ipv4_loopback(const char *host)
{
	struct in_addr a;

	return inet_pton(AF_INET, host, &a) == 1 &&
	    (ntohl(a.s_addr) >> 24) == 127;
}

static bool
ipv6_loopback(const char *host)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, host, &a) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a))
		return true;
	/* ::ffff:127.x.y.z */
	return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
}

int
ads_address_check(const char *address, bool *local_out, char **errmsg)
{
	const char *colon;
	char *host;
	int port;

	*local_out = false;
	if (address == NULL || address[0] == '\0') {
		*errmsg = xstrdup("xDS address is empty; expected HOST:PORT, "
		    "[IPV6]:PORT or unix:/path");
		return -1;
	}
	if (strncmp(address, "unix:", 5) == 0) {
		if (address[5] == '\0') {
			*errmsg = xasprintf("xDS address \"%s\": missing socket path "
			    "after \"unix:\"", address);
			return -1;
		}
		*local_out = true;
		return 0;
	}
	if (address[0] == '[') {
		const char *close = strchr(address, ']');

		if (close == NULL || close[1] != ':') {
			*errmsg = xasprintf("xDS address \"%s\": expected [IPV6]:PORT",
			    address);
			return -1;
		}
		host = xstrndup(address + 1, (size_t)(close - address - 1));
		if ((port = parse_port(address, close + 2, errmsg)) < 0) {
			free(host);
			return -1;
		}
		{
			struct in6_addr a;

			if (inet_pton(AF_INET6, host, &a) != 1) {
				*errmsg = xasprintf("xDS address \"%s\": \"%s\" is not "
				    "an IPv6 address", address, host);
				free(host);
				return -1;
			}
		}
		*local_out = ipv6_loopback(host);
		free(host);
		return 0;
	}
	colon = strrchr(address, ':');
	if (colon == NULL) {
		*errmsg = xasprintf("xDS address \"%s\": missing port; expected "
		    "HOST:PORT, [IPV6]:PORT or unix:/path", address);
		return -1;
	}
	if (memchr(address, ':', (size_t)(colon - address)) != NULL) {
		*errmsg = xasprintf("xDS address \"%s\": put an IPv6 address in "
		    "brackets, e.g. [::1]:18000", address);
		return -1;
	}
	host = xstrndup(address, (size_t)(colon - address));
	if ((port = parse_port(address, colon + 1, errmsg)) < 0) {
		free(host);
		return -1;
	}
	*local_out = strcmp(host, "localhost") == 0 || ipv4_loopback(host);
	free(host);
	return 0;
}
