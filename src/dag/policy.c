/* Policy helpers shared by the HTTPProxy and Ingress processors: Contour's
 * timeout strings, canonical header names, the escaping of '%' in header
 * values, regex checks and the single-label match of wildcard hosts. Kept
 * apart from the HTTPProxy files because ingress.c and vhost_tls.c use them too. */
#include "dag/build_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/duration.h"
#include "util/re2_check.h"
#include "util/strbuf.h"

int64_t
policy_timeout_ms(const char *s)
{
	const char *why;
	int64_t ms;

	if (s == NULL || *s == '\0')
		return DAG_TIMEOUT_DEFAULT;
	if (strcmp(s, "infinity") == 0 || strcmp(s, "infinite") == 0)
		return 0;
	if (duration_parse_ms(s, &ms, &why) < 0) /* checked by the loader */
		return DAG_TIMEOUT_DEFAULT;
	return ms;
}

/* RFC 7230 token characters. */
static bool
is_token_char(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

const char *
policy_canonical_header(struct arena *a, const char *s)
{
	char *out;
	bool upper = true;

	if (*s == '\0')
		return NULL;
	for (const char *p = s; *p; p++)
		if (!is_token_char((unsigned char)*p))
			return NULL;
	out = arena_strdup(a, s);
	for (char *p = out; *p; p++) {
		*p = upper ? (char)toupper((unsigned char)*p) :
		    (char)tolower((unsigned char)*p);
		upper = *p == '-';
	}
	return out;
}

/* Envoy variables Contour lets through a header value unescaped. */
static const char *const envoy_header_vars[] = {
	"DOWNSTREAM_REMOTE_ADDRESS", "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
	"DOWNSTREAM_LOCAL_ADDRESS", "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
	"DOWNSTREAM_LOCAL_PORT", "DOWNSTREAM_LOCAL_URI_SAN",
	"DOWNSTREAM_PEER_URI_SAN", "DOWNSTREAM_LOCAL_SUBJECT",
	"DOWNSTREAM_PEER_SUBJECT", "DOWNSTREAM_PEER_ISSUER",
	"DOWNSTREAM_TLS_SESSION_ID", "DOWNSTREAM_TLS_CIPHER",
	"DOWNSTREAM_TLS_VERSION", "DOWNSTREAM_PEER_FINGERPRINT_256",
	"DOWNSTREAM_PEER_FINGERPRINT_1", "DOWNSTREAM_PEER_SERIAL",
	"DOWNSTREAM_PEER_CERT", "DOWNSTREAM_PEER_CERT_V_START",
	"DOWNSTREAM_PEER_CERT_V_END", "HOSTNAME", "PROTOCOL",
	"UPSTREAM_REMOTE_ADDRESS", "RESPONSE_FLAGS", "RESPONSE_CODE_DETAILS",
};

/* Length of "%REQ(name[?alt])[:len]%" at s, or 0. */
static size_t
req_var_len(const char *s)
{
	const char *p = s;

	if (strncmp(p, "%REQ(", 5) != 0)
		return 0;
	p += 5;
	for (int part = 0; part < 2; part++) {
		const char *start;

		if (*p == ':')
			p++;
		start = p;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
			p++;
		if (p == start)
			return 0;
		if (part == 0 && *p == '?')
			p++;
		else
			break;
	}
	if (*p++ != ')')
		return 0;
	if (*p == ':') {
		const char *start = ++p;

		while (isdigit((unsigned char)*p))
			p++;
		if (p == start)
			return 0;
	}
	if (*p != '%')
		return 0;
	return (size_t)(p - s) + 1;
}

const char *
policy_escape_header_value(struct arena *a, const char *value, const char *ns,
    const char *service, int32_t port)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = value, *out;
	char portbuf[16];

	if (strchr(value, '%') == NULL)
		return value;
	snprintf(portbuf, sizeof portbuf, "%d", port);
	while (*p) {
		const char *dyn_names[] = { "%CONTOUR_NAMESPACE%",
		    "%CONTOUR_SERVICE_NAME%", "%CONTOUR_SERVICE_PORT%" };
		const char *dyn_values[] = { ns, service, port ? portbuf : NULL };
		size_t n;
		bool done = false;

		if (*p != '%') {
			strbuf_putc(&sb, *p++);
			continue;
		}
		for (size_t i = 0; i < 3 && !done; i++) {
			if (dyn_values[i] != NULL &&
			    strncmp(p, dyn_names[i], strlen(dyn_names[i])) == 0) {
				strbuf_puts(&sb, dyn_values[i]);
				p += strlen(dyn_names[i]);
				done = true;
			}
		}
		for (size_t i = 0; i < sizeof envoy_header_vars /
		    sizeof envoy_header_vars[0] && !done; i++) {
			size_t len = strlen(envoy_header_vars[i]);

			if (strncmp(p + 1, envoy_header_vars[i], len) == 0 &&
			    p[len + 1] == '%') {
				strbuf_add(&sb, p, len + 2);
				p += len + 2;
				done = true;
			}
		}
		if (!done && (n = req_var_len(p)) > 0) {
			strbuf_add(&sb, p, n);
			p += n;
			done = true;
		}
		if (!done) {
			strbuf_puts(&sb, "%%");
			p++;
		}
	}
	out = arena_strdup(a, sb.buf);
	strbuf_free(&sb);
	return out;
}

/* Envoy's wildcard domains match any number of labels; Contour narrows
 * "*.example.com" to one label with an :authority match (the optional port
 * because cairn does not strip it from :authority). */
const char *
policy_wildcard_regex(struct builder *b, const char *fqdn)
{
	struct strbuf sb = STRBUF_INIT;
	const char *out;

	strbuf_puts(&sb, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?");
	strbuf_put_regex_literal(&sb, fqdn + 1);
	strbuf_puts(&sb, "(:[0-9]+)?");
	out = arena_strdup(b->arena, sb.buf);
	strbuf_free(&sb);
	return out;
}

void
policy_wildcard_header(struct builder *b, struct dag_route *r, const char *fqdn,
    size_t *cap)
{
	struct dag_header_match m = { .name = ":authority",
		.kind = DAG_HEADER_REGEX };

	m.value = policy_wildcard_regex(b, fqdn);
	ARENA_PUSH(b->arena, r->headers, r->nheaders, *cap, m);
}

const char *
policy_regex_check(struct builder *b, const char *re)
{
	char why[512];
	int max = (int)b->opts->regex_max_program_size;

	if (max <= 0) /* a limit over INT_MAX: none */
		max = 0;
	if (re2_check(re, max, NULL, why, sizeof why) == RE2_CHECK_OK)
		return NULL;
	return arena_strdup(b->arena, why);
}
