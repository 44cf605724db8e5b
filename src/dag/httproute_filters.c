/* The HTTPRoute (and GRPCRoute) filters and rule policies that become
 * more than a route's match and action (docs/gateway-api.md): the CORS
 * filter as the route's own Envoy CorsPolicy, the share of requests a
 * RequestMirror gets, and retry.backoff. gateway_routes.c resolves the mirrors'
 * backendRefs like any other backendRef (ReferenceGrant included). */
#include "dag/build_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/duration.h"
#include "util/strbuf.h"

/* The API's default maxAge (seconds): sent when none is written, so that
 * Envoy's own default (none: no Access-Control-Max-Age) does not apply. */
#define GW_CORS_MAX_AGE_DEFAULT 5

static const char *
gw_join(struct builder *b, char **items, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	const char *out;

	for (size_t i = 0; i < n; i++)
		strbuf_printf(&sb, "%s%s", i ? "," : "", items[i]);
	out = n > 0 ? arena_strdup(b->arena, sb.buf) : NULL;
	strbuf_free(&sb);
	return out;
}

/* An allowOrigins entry as Envoy's matcher. "*" is every origin; a "*" in
 * the host (the leftmost label, as in *.example.com) stands for one or
 * more labels, as a Gateway API hostname wildcard does: it becomes a
 * regex whose other characters are literal. Everything else is an exact origin (Envoy
 * compares it ignoring case, as hosts are). */
static bool
gw_cors_origin(struct builder *b, const char *origin, struct dag_cors_origin *o,
    const char **why)
{
	struct strbuf sb = STRBUF_INIT;
	const char *star = strchr(origin, '*');

	*why = NULL;
	o->regex = false;
	o->value = origin;
	if (star == NULL)
		return true;
	o->regex = true;
	if (strcmp(origin, "*") == 0) {
		o->value = ".*";
		return true;
	}
	for (const char *p = origin; *p != '\0'; p++) {
		char one[2] = { *p, '\0' };

		if (*p == '*')
			strbuf_puts(&sb, "[^/:]+");
		else
			strbuf_put_regex_literal(&sb, one);
	}
	o->value = arena_strdup(b->arena, sb.buf);
	strbuf_free(&sb);
	*why = policy_regex_check(b, o->value);
	return *why == NULL;
}

struct dag_cors *
gw_cors_policy(struct builder *b, const struct gw_cors *c, const char **why)
{
	struct dag_cors *out = ARENA_NEW(b->arena, struct dag_cors);

	*why = NULL;
	out->origins = ARENA_ARRAY(b->arena, struct dag_cors_origin,
	    c->nallow_origins + 1);
	for (size_t i = 0; i < c->nallow_origins; i++)
		if (!gw_cors_origin(b, c->allow_origins[i],
		    &out->origins[out->norigins++], why))
			return NULL;
	out->allow_methods = gw_join(b, c->allow_methods, c->nallow_methods);
	out->allow_headers = gw_join(b, c->allow_headers, c->nallow_headers);
	out->expose_headers = gw_join(b, c->expose_headers, c->nexpose_headers);
	out->allow_credentials = c->allow_credentials;
	out->max_age = arena_printf(b->arena, "%d", c->has_max_age ?
	    (int)c->max_age : GW_CORS_MAX_AGE_DEFAULT);
	return out;
}

/* percent (0-100), or fraction numerator/denominator (denominator 100 by
 * default) as Envoy's FractionalPercent: the denominator 100, 10000 or
 * 1000000 that says it exactly when one does, else a million, rounded.
 * Neither: every request (the API's default). */
void
gw_mirror_share(const struct gw_mirror *m, uint32_t *numerator,
    uint32_t *denominator)
{
	static const uint32_t envoy_den[] = { 100, 10000, 1000000 };
	uint64_t num = 100, den = 100;

	if (m->has_percent) {
		num = (uint64_t)m->percent;
	} else if (m->fraction != NULL) {
		num = (uint64_t)m->fraction->numerator;
		den = m->fraction->has_denominator ?
		    (uint64_t)m->fraction->denominator : 100;
	}
	for (size_t i = 0; i < sizeof envoy_den / sizeof envoy_den[0]; i++)
		if (envoy_den[i] % den == 0 || i + 1 == sizeof envoy_den /
		    sizeof envoy_den[0]) {
			*denominator = envoy_den[i];
			*numerator = (uint32_t)((num * envoy_den[i] + den / 2) / den);
			return;
		}
}

int64_t
gw_retry_backoff_ms(const struct gw_retry *rt)
{
	int64_t ms = 0;
	const char *why;

	if (rt->backoff == NULL || duration_parse_ms(rt->backoff, &ms, &why) != 0)
		return 0;
	return ms;
}
