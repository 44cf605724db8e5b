/* rateLimitPolicy.global of HTTPProxy virtual hosts and routes, and the
 * default-global-rate-limit-policy of rate-limit-service (cairn.yaml), as
 * Contour's globalRateLimitPolicy: descriptors of entries, each exactly
 * one of genericKey, requestHeader, requestHeaderValueMatch and
 * remoteAddress. The rate limit filter itself is the listeners'
 * (src/xds/translate_ratelimit.c). */
#include "dag/build_internal.h"

#include <string.h>

#include "config.h"

static void
header_match(const struct hp_header_match *h, struct dag_header_match *m)
{
	memset(m, 0, sizeof *m);
	m->name = h->name;
	m->treat_missing_as_empty = h->treat_missing_as_empty;
	if (h->present || h->notpresent) {
		m->kind = DAG_HEADER_PRESENT;
		m->invert = h->notpresent;
	} else if (h->exact || h->notexact) {
		m->kind = DAG_HEADER_EXACT;
		m->value = h->exact ? h->exact : h->notexact;
		m->invert = h->notexact != NULL;
		m->ignore_case = h->ignore_case;
	} else if (h->contains || h->notcontains) {
		m->kind = DAG_HEADER_CONTAINS;
		m->value = h->contains ? h->contains : h->notcontains;
		m->invert = h->notcontains != NULL;
		m->ignore_case = h->ignore_case;
	} else {
		m->kind = DAG_HEADER_REGEX;
		m->value = h->regex;
	}
}

bool
ratelimit_global(struct builder *b, const struct hp_global_ratelimit *p,
    const struct dag_global_ratelimit **out, const char **why)
{
	struct dag_global_ratelimit *g;

	*out = NULL;
	*why = NULL;
	if (p == NULL)
		return true;
	g = ARENA_NEW(b->arena, struct dag_global_ratelimit);
	g->disabled = p->disabled;
	g->n = p->ndescriptors;
	g->descriptors = ARENA_ARRAY(b->arena, struct dag_rl_descriptor,
	    p->ndescriptors + 1);
	for (size_t i = 0; i < p->ndescriptors; i++) {
		const struct hp_rl_descriptor *d = &p->descriptors[i];
		struct dag_rl_descriptor *dd = &g->descriptors[i];

		dd->n = d->nentries;
		dd->entries = ARENA_ARRAY(b->arena, struct dag_rl_entry,
		    d->nentries + 1);
		for (size_t k = 0; k < d->nentries; k++) {
			const struct hp_rl_entry *e = &d->entries[k];
			struct dag_rl_entry *de = &dd->entries[k];
			int set = (e->generic_key != NULL) +
			    (e->request_header != NULL) +
			    (e->header_value_match != NULL) + e->remote_address;

			if (set != 1) {
				*why = "rate limit descriptor entry must have exactly "
				    "one field set";
				return false;
			}
			if (e->generic_key != NULL) {
				de->kind = DAG_RL_GENERIC_KEY;
				de->key = e->generic_key->key && *e->generic_key->key ?
				    e->generic_key->key : NULL;
				de->value = e->generic_key->value;
			} else if (e->request_header != NULL) {
				de->kind = DAG_RL_REQUEST_HEADER;
				de->key = e->request_header->descriptor_key;
				de->value = e->request_header->header_name;
			} else if (e->header_value_match != NULL) {
				const struct hp_rl_header_value_match *m =
				    e->header_value_match;

				de->kind = DAG_RL_HEADER_VALUE_MATCH;
				de->value = m->value;
				de->expect_match = m->has_expect_match ?
				    m->expect_match : true;
				de->nheaders = m->nheaders;
				de->headers = ARENA_ARRAY(b->arena,
				    struct dag_header_match, m->nheaders + 1);
				for (size_t h = 0; h < m->nheaders; h++)
					header_match(&m->headers[h], &de->headers[h]);
			} else {
				de->kind = DAG_RL_REMOTE_ADDRESS;
			}
		}
	}
	if (g->n == 0 && !g->disabled) {
		*out = NULL;
		return true;
	}
	*out = g;
	return true;
}

bool
ratelimit_vhost(struct builder *b, const struct hp_global_ratelimit *p,
    const struct dag_global_ratelimit **out, const char **why)
{
	const struct hp_global_ratelimit *def = b->opts->default_global_ratelimit;

	if (!ratelimit_global(b, p, out, why))
		return false;
	/* Contour: the host's own descriptors win; disabled opts out of
	 * the default. */
	if ((*out != NULL && (*out)->n > 0) || (p != NULL && p->disabled) ||
	    def == NULL)
		return true;
	if (!ratelimit_global(b, def, out, why)) {
		*why = arena_printf(b->arena, "Default Global RateLimit Policy is "
		    "invalid: %s", *why);
		return false;
	}
	return true;
}
