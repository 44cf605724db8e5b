#include "util/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
listen_addr_parse(const char *s, struct listen_addr *out, const char **why)
{
	const char *colon;
	char *end;
	long port;
	size_t hostlen;

	memset(out, 0, sizeof *out);
	if (strncmp(s, "unix:", 5) == 0) {
		if (strlen(s + 5) == 0 || strlen(s + 5) >= sizeof out->path) {
			*why = "unix socket path is empty or too long";
			return -1;
		}
		out->is_unix = true;
		strcpy(out->path, s + 5);
		return 0;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':') {
			*why = "expected [IPv6]:PORT";
			return -1;
		}
		hostlen = (size_t)(close - s - 1);
		if (hostlen == 0 || hostlen >= sizeof out->host) {
			*why = "bad IPv6 address";
			return -1;
		}
		memcpy(out->host, s + 1, hostlen);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			*why = "expected HOST:PORT, [IPv6]:PORT or unix:/path";
			return -1;
		}
		hostlen = (size_t)(colon - s);
		if (hostlen == 0 || hostlen >= sizeof out->host || memchr(s, ':', hostlen)) {
			*why = "expected HOST:PORT (write IPv6 addresses as [::1]:PORT)";
			return -1;
		}
		memcpy(out->host, s, hostlen);
	}
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535) {
		*why = "port must be a number from 0 to 65535";
		return -1;
	}
	out->port = (int)port;
	return 0;
}

bool
listen_addr_is_local(const struct listen_addr *a)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (a->is_unix || strcmp(a->host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, a->host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, a->host, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6);
	return false;
}

int
listen_addr_sockaddr(const struct listen_addr *a, struct sockaddr_storage *ss,
    socklen_t *len)
{
	const char *host = strcmp(a->host, "localhost") == 0 ? "127.0.0.1" : a->host;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)a->port);
		*len = sizeof *sin;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)a->port);
		*len = sizeof *sin6;
		return 0;
	}
	return -1;
}
