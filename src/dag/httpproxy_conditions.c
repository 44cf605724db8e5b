/* HTTPProxy match conditions: the path, header and query conditions of an
 * include chain merged into a route (Contour's merge*Conditions), their
 * validity checks (Contour's *MatchConditionsValid) and the canonical key
 * that tells two includes with the same conditions apart. The routes file
 * calls these while it walks the include tree. */
#include "dag/httpproxy_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

struct cond_list
proxy_cond_append(struct builder *b, const struct cond_list *base,
    const struct hp_condition *more, size_t nmore)
{
	struct cond_list out = { .n = base->n + nmore };

	out.items = ARENA_ARRAY(b->arena, const struct hp_condition *, out.n + 1);
	for (size_t i = 0; i < base->n; i++)
		out.items[i] = base->items[i];
	for (size_t i = 0; i < nmore; i++)
		out.items[base->n + i] = &more[i];
	return out;
}

/* Contour's mergePathMatchConditions: the path conditions of the chain
 * concatenated (runs of '/' collapsed); any regex makes it a regex, else
 * the last path condition decides between prefix and exact. */
void
proxy_merge_path(struct builder *b, const struct cond_list *cl,
    struct dag_route *r)
{
	struct strbuf sb = STRBUF_INIT;
	const struct hp_condition *last = NULL;
	bool regex = false;
	char *path, *w;

	strbuf_puts(&sb, "");
	for (size_t i = 0; i < cl->n; i++) {
		const struct hp_condition *c = cl->items[i];
		const char *s = c->prefix ? c->prefix : c->exact ? c->exact : c->regex;

		if (s == NULL || *s == '\0')
			continue;
		strbuf_puts(&sb, s);
		regex |= c->regex != NULL;
		last = c;
	}
	path = arena_strdup(b->arena, sb.buf);
	strbuf_free(&sb);
	w = path;
	for (const char *p = path; *p; p++)
		if (!(*p == '/' && w > path && w[-1] == '/'))
			*w++ = *p;
	*w = '\0';
	r->path = path;
	if (*path == '\0' || last == NULL) {
		r->path_kind = DAG_PATH_PREFIX;
		r->path = "/";
	} else if (regex) {
		r->path_kind = DAG_PATH_REGEX;
	} else if (last->exact != NULL) {
		r->path_kind = DAG_PATH_EXACT;
	} else {
		r->path_kind = DAG_PATH_PREFIX;
	}
}

void
proxy_merge_headers(struct builder *b, const struct cond_list *cl,
    const char *fqdn, struct dag_route *r, size_t *cap)
{
	size_t n = 0, want;

	/* Sized once, with one more for policy_wildcard_header under a
	 * wildcard host only: growing it left dead copies in the arena, and
	 * a slot never used is 24 bytes of every kept route. */
	for (size_t i = 0; i < cl->n; i++)
		n += cl->items[i]->header != NULL;
	want = r->nheaders + n + (strncmp(fqdn, "*.", 2) == 0);
	if (n > 0 && *cap < want) {
		r->headers = arena_grow(b->arena, r->headers, r->nheaders,
		    want, sizeof r->headers[0]);
		*cap = want;
	}
	for (size_t i = 0; i < cl->n; i++) {
		const struct hp_header_match *h = cl->items[i]->header;
		struct dag_header_match m;

		if (h == NULL)
			continue;
		memset(&m, 0, sizeof m);
		m.name = h->name;
		m.treat_missing_as_empty = h->treat_missing_as_empty;
		if (h->present || h->notpresent) {
			m.kind = DAG_HEADER_PRESENT;
			m.invert = h->notpresent;
		} else if (h->exact || h->notexact) {
			m.kind = DAG_HEADER_EXACT;
			m.value = h->exact ? h->exact : h->notexact;
			m.invert = h->notexact != NULL;
			m.ignore_case = h->ignore_case;
		} else if (h->contains || h->notcontains) {
			m.kind = DAG_HEADER_CONTAINS;
			m.value = h->contains ? h->contains : h->notcontains;
			m.invert = h->notcontains != NULL;
			m.ignore_case = h->ignore_case;
		} else {
			m.kind = DAG_HEADER_REGEX;
			m.value = h->regex;
		}
		ARENA_PUSH(b->arena, r->headers, r->nheaders, *cap, m);
	}
}

void
proxy_merge_queries(struct builder *b, const struct cond_list *cl,
    struct dag_route *r)
{
	size_t cap = 0;

	for (size_t i = 0; i < cl->n; i++) {
		const struct hp_query_match *q = cl->items[i]->query;
		struct dag_query_match m = { 0 };

		if (q == NULL)
			continue;
		m.name = q->name;
		m.ignore_case = q->ignore_case;
		if (q->exact) {
			m.kind = DAG_QUERY_EXACT;
			m.value = q->exact;
		} else if (q->prefix) {
			m.kind = DAG_QUERY_PREFIX;
			m.value = q->prefix;
		} else if (q->suffix) {
			m.kind = DAG_QUERY_SUFFIX;
			m.value = q->suffix;
		} else if (q->contains) {
			m.kind = DAG_QUERY_CONTAINS;
			m.value = q->contains;
		} else if (q->regex) {
			m.kind = DAG_QUERY_REGEX;
			m.value = q->regex;
			m.ignore_case = false;
		} else {
			m.kind = DAG_QUERY_PRESENT;
			m.ignore_case = false;
		}
		ARENA_PUSH(b->arena, r->queries, r->nqueries, cap, m);
	}
}

/* Contour's pathMatchConditionsValid for one block of conditions (the
 * regex itself is checked as emitted, after merge_path). */
const char *
proxy_path_conditions_problem(const struct hp_condition *c, size_t n)
{
	int count = 0;

	for (size_t i = 0; i < n; i++)
		count += (c[i].prefix != NULL) + (c[i].exact != NULL) +
		    (c[i].regex != NULL);
	if (count > 1)
		return "more than one prefix, exact or regex is not allowed in a "
		    "condition block";
	return NULL;
}

static bool
same_ci(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* o, unless it is NULL (no such value) or the object was not loaded
 * from a file (unit tests). */
const struct origin *
proxy_origin_or(const struct origin *o, const struct origin *fallback)
{
	return o != NULL && o->file != NULL ? o : fallback;
}

/* Contour's headerMatchConditionsValid over the whole chain; a regex
 * Envoy's RE2 refuses moves *at to its `regex:` value. */
const char *
proxy_header_conditions_problem(struct builder *b, const struct cond_list *cl,
    const struct origin **at)
{
	for (size_t i = 0; i < cl->n; i++) {
		const struct hp_header_match *h = cl->items[i]->header;
		const char *why;

		if (h == NULL)
			continue;
		if (h->regex != NULL && (why = policy_regex_check(b, h->regex)) != NULL) {
			*at = proxy_origin_or(h->regex_origin, *at);
			return arena_printf(b->arena, "invalid regular expression "
			    "specified for 'regex' condition: \"%s\": %s", h->regex, why);
		}
		for (size_t j = 0; j < i; j++) {
			const struct hp_header_match *g = cl->items[j]->header;

			if (g == NULL || !same_ci(g->name, h->name))
				continue;
			if ((h->present && g->notpresent) || (h->notpresent && g->present))
				return "cannot specify contradictory 'present' and "
				    "'notpresent' conditions for the same route and header";
			if (h->exact && g->exact)
				return "cannot specify duplicate header 'exact match' "
				    "conditions in the same route";
			if ((h->exact && g->notexact && strcmp(h->exact, g->notexact) == 0) ||
			    (h->notexact && g->exact && strcmp(h->notexact, g->exact) == 0))
				return "cannot specify contradictory 'exact' and "
				    "'notexact' conditions for the same route and header";
			if ((h->contains && g->notcontains &&
			    strcmp(h->contains, g->notcontains) == 0) ||
			    (h->notcontains && g->contains &&
			    strcmp(h->notcontains, g->contains) == 0))
				return "cannot specify contradictory 'contains' and "
				    "'notcontains' conditions for the same route and header";
		}
	}
	return NULL;
}

/* Contour's queryParameterMatchConditionsValid; *at as for headers. */
const char *
proxy_query_conditions_problem(struct builder *b, const struct cond_list *cl,
    const struct origin **at)
{
	for (size_t i = 0; i < cl->n; i++) {
		const struct hp_query_match *q = cl->items[i]->query;
		const char *why;

		if (q == NULL)
			continue;
		if (q->regex != NULL && (why = policy_regex_check(b, q->regex)) != NULL) {
			*at = proxy_origin_or(q->regex_origin, *at);
			return arena_printf(b->arena, "invalid regular expression "
			    "specified for 'regex' condition: \"%s\": %s", q->regex, why);
		}
		if (q->exact == NULL)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct hp_query_match *p = cl->items[j]->query;

			if (p != NULL && p->exact != NULL && same_ci(p->name, q->name))
				return "cannot specify duplicate query parameter 'exact "
				    "match' conditions in the same route";
		}
	}
	return NULL;
}

/* Include conditions in a canonical text form: two includes with the same
 * text would send the same requests to two places (Contour's
 * DuplicateMatchConditions). NULL for the plain "/" that Contour lets
 * repeat. */
const char *
proxy_include_key(struct builder *b, const struct hp_include *inc)
{
	struct cond_list cl = { 0 };
	struct dag_route r = { 0 };
	struct strbuf sb = STRBUF_INIT;
	char **parts;
	size_t nparts = 0, hcap = 0;
	const char *out;

	cl = proxy_cond_append(b, &cl, inc->conditions, inc->nconditions);
	proxy_merge_path(b, &cl, &r);
	proxy_merge_headers(b, &cl, "", &r, &hcap);
	proxy_merge_queries(b, &cl, &r);
	if (strcmp(r.path, "/") == 0 && r.nheaders == 0 && r.nqueries == 0)
		return NULL;
	parts = ARENA_ARRAY(b->arena, char *, r.nheaders + r.nqueries + 1);
	for (size_t i = 0; i < r.nheaders; i++) {
		const struct dag_header_match *h = &r.headers[i];
		char *lower = arena_strdup(b->arena, h->name);

		for (char *p = lower; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		parts[nparts++] = arena_printf(b->arena, "h%d|%d|%d|%d|%s|%s",
		    (int)h->kind, h->ignore_case, h->invert,
		    h->treat_missing_as_empty, lower, h->value ? h->value : "");
	}
	for (size_t i = 0; i < r.nqueries; i++) {
		const struct dag_query_match *q = &r.queries[i];

		parts[nparts++] = arena_printf(b->arena, "q%d|%d|%s|%s", (int)q->kind,
		    q->ignore_case, q->name, q->value ? q->value : "");
	}
	qsort(parts, nparts, sizeof parts[0], sorted_str_cmp);
	strbuf_puts(&sb, r.path);
	for (size_t i = 0; i < nparts; i++) {
		strbuf_putc(&sb, '\n');
		strbuf_puts(&sb, parts[i]);
	}
	out = arena_strdup(b->arena, sb.buf);
	strbuf_free(&sb);
	return out;
}
