/* Who owns an FQDN, as the pipeline sees it (dag/owners.h): the claims
 * of the files in effect, recorded in the ledger in directory mode or
 * ordered by git history, and the running hash of every file's claims.
 * Apart from pipeline.c: the pipeline's only part about FQDN claims. */
#include "pipeline_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/log.h"
#include "util/sorted.h"
#include "util/xalloc.h"

void
pipeline_set_owners(struct pipeline *p, struct fqdn_ledger *l)
{
	fqdn_ledger_free(&p->owners);
	p->owners = *l;
	fqdn_ledger_init(l);
	p->claims_stale = true;
}

const struct fqdn_ledger *
pipeline_owners(const struct pipeline *p)
{
	return &p->owners;
}

/* The FQDN claims of the files in effect, in path order: every
 * HTTPProxy naming a virtualhost.fqdn and every Ingress rule naming a
 * host (under "Ingress:NAME"; those names are made in *names, freed by
 * the caller with owners_names_free). */
static struct fqdn_claim_ref *
owners_claims(const struct pipeline *p, size_t *nout, char ***names,
    size_t *nnames)
{
	struct fqdn_claim_ref *claims = NULL;
	size_t n = 0, cap = 0, ncap = 0;

	*names = NULL;
	*nnames = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct loaded_file *lf = p->entries[i].good;

		if (lf == NULL)
			continue;
		for (size_t k = 0; k < lf->nobjects; k++) {
			const struct object *o = lf->objects[k];
			const struct hp_virtualhost *vh;
			char *name = NULL;

			if (o->kind == OBJ_INGRESS) {
				for (size_t r = 0; r < o->u.ingress.nrules; r++) {
					const struct ing_rule *rule = &o->u.ingress.rules[r];

					if (rule->host == NULL || rule->host[0] == '\0')
						continue;
					if (name == NULL) {
						name = xasprintf("%s%s", FQDN_INGRESS_PREFIX,
						    o->meta.name);
						ARRAY_PUSH(*names, *nnames, ncap, name);
					}
					ARRAY_PUSH(claims, n, cap, ((struct fqdn_claim_ref){
						.fqdn = rule->host, .ns = o->meta.namespace,
						.name = name, .file = rule->origin.file,
						.line = rule->origin.line }));
				}
				continue;
			}
			if (o->kind != OBJ_HTTPPROXY ||
			    (vh = o->u.httpproxy.virtualhost) == NULL ||
			    vh->fqdn == NULL)
				continue;
			ARRAY_PUSH(claims, n, cap, ((struct fqdn_claim_ref){
				.fqdn = vh->fqdn, .ns = o->meta.namespace,
				.name = o->meta.name, .file = vh->origin.file,
				.line = vh->origin.line }));
		}
	}
	*nout = n;
	return claims;
}

static void
owners_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A hash of what e's good version claims: a build whose files claim
 * what the last one's did (an edit of routes, a Service) records nothing
 * (recording sorts every claim: milliseconds at 10,000 roots). */
uint64_t
pipeline_claims_hash_of(const struct file_entry *e)
{
	struct hash_state *h;

	if (e->good == NULL)
		return 0;
	h = hash_begin();
	hash_update(h, e->path, strlen(e->path) + 1);
	for (size_t k = 0; k < e->good->nobjects; k++) {
		const struct object *o = e->good->objects[k];
		const struct hp_virtualhost *vh;

		if (o->kind == OBJ_INGRESS) {
			hash_update(h, "I", 1);
			hash_update(h, o->meta.name, strlen(o->meta.name) + 1);
			for (size_t r = 0; r < o->u.ingress.nrules; r++) {
				const char *host = o->u.ingress.rules[r].host;

				if (host)
					hash_update(h, host, strlen(host) + 1);
			}
		} else if (o->kind == OBJ_HTTPPROXY &&
		    (vh = o->u.httpproxy.virtualhost) != NULL &&
		    vh->fqdn != NULL) {
			hash_update(h, "P", 1);
			hash_update(h, o->meta.namespace,
			    strlen(o->meta.namespace) + 1);
			hash_update(h, o->meta.name, strlen(o->meta.name) + 1);
			hash_update(h, vh->fqdn, strlen(vh->fqdn) + 1);
		}
	}
	return hash_end(h) | 1;
}

/* Directory mode: record the claims in the ledger before the DAG is
 * built, so the DAG always sees each claim's place in line. */
bool
pipeline_owners_record(struct pipeline *p)
{
	size_t n, nnames;
	char **names;
	struct fqdn_claim_ref *claims = owners_claims(p, &n, &names, &nnames);
	bool changed = fqdn_ledger_record(&p->owners, claims, n);

	free(claims);
	owners_names_free(names, nnames);
	return changed;
}

/* How far back git history is searched for the commit that introduced a
 * claim: older claims than that are as old as each other (path order). */
#define OWNERS_HISTORY_MAX 1000

struct claim_probe {
	const struct fqdn_claim_ref *claim;
	const struct load_options *lo;
};

/* Does this version of the claim's file still make the claim? */
static bool
claim_holds(void *ctx, const char *data, size_t len)
{
	const struct claim_probe *cp = ctx;
	const struct fqdn_claim_ref *c = cp->claim;
	char *copy = xmalloc(len + 1);
	struct loaded_file *lf;
	bool found = false;

	memcpy(copy, data, len);
	copy[len] = '\0';
	lf = load_buffer(c->file, c->ns, copy, len, cp->lo);
	size_t plen = strlen(FQDN_INGRESS_PREFIX);
	bool ingress = strncmp(c->name, FQDN_INGRESS_PREFIX, plen) == 0;

	for (size_t k = 0; lf->ok && k < lf->nobjects && !found; k++) {
		const struct object *o = lf->objects[k];
		const struct hp_virtualhost *vh;

		if (strcmp(o->meta.namespace, c->ns) != 0)
			continue;
		if (ingress && o->kind == OBJ_INGRESS &&
		    strcmp(o->meta.name, c->name + plen) == 0) {
			for (size_t r = 0; r < o->u.ingress.nrules && !found; r++)
				found = o->u.ingress.rules[r].host != NULL &&
				    strcmp(o->u.ingress.rules[r].host, c->fqdn) == 0;
		} else if (!ingress && o->kind == OBJ_HTTPPROXY) {
			vh = o->u.httpproxy.virtualhost;
			found = vh != NULL && vh->fqdn != NULL &&
			    strcmp(vh->fqdn, c->fqdn) == 0 &&
			    strcmp(o->meta.name, c->name) == 0;
		}
	}
	loaded_file_free(lf);
	free(copy);
	return found;
}

struct aged_claim {
	const struct fqdn_claim_ref *c;
	size_t age;
};

static int
aged_claim_cmp(const void *x, const void *y)
{
	const struct aged_claim *a = x, *b = y;
	int r = strcmp(a->c->fqdn, b->c->fqdn);

	if (r != 0)
		return r;
	if (a->age != b->age)
		return a->age > b->age ? -1 : 1; /* older first */
	return fqdn_claim_ref_cmp(a->c, b->c);
}

/* git mode: the order of claims on a contested FQDN is the history's
 * (the claim whose commit came first wins), recomputed for the served
 * commit alone, so every replica serving it agrees and `cairn check`
 * at that commit says the same. Only FQDNs claimed more than once are
 * looked up; each gets ranks 0, 1, ... (stable from commit to commit,
 * so the DAG's parts are not rebuilt for nothing). */
void
pipeline_owners_from_history(struct pipeline *p, const struct source_files *files)
{
	size_t n, nnames;
	char **names;
	struct fqdn_claim_ref *claims = owners_claims(p, &n, &names, &nnames);
	struct aged_claim *aged = xreallocarray(NULL, n + 1, sizeof *aged);
	struct fqdn_ledger order;

	fqdn_ledger_init(&order);
	for (size_t i = 0; i < n; i++)
		aged[i] = (struct aged_claim){ .c = &claims[i] };
	qsort(aged, n, sizeof *aged, aged_claim_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		bool root = false;

		while (j < n && strcmp(aged[j].c->fqdn, aged[i].c->fqdn) == 0)
			j++;
		/* Ingresses share hosts with each other: only a root's
		 * claim makes an order matter. */
		for (size_t k = i; k < j && !root; k++)
			root = strncmp(aged[k].c->name, FQDN_INGRESS_PREFIX,
			    strlen(FQDN_INGRESS_PREFIX)) != 0;
		if (j - i > 1 && root) {
			for (size_t k = i; k < j; k++) {
				struct claim_probe cp = { aged[k].c, &p->lo };

				aged[k].age = files->claim_age(files->history,
				    files->revision, aged[k].c->file,
				    OWNERS_HISTORY_MAX, claim_holds, &cp);
			}
			qsort(aged + i, j - i, sizeof *aged, aged_claim_cmp);
			for (size_t k = i; k < j; k++)
				fqdn_ledger_put(&order, aged[k].c->fqdn, aged[k].c->ns,
				    aged[k].c->name, (uint64_t)(k - i));
		}
		i = j;
	}
	fqdn_ledger_free(&p->owners);
	p->owners = order;
	free(aged);
	free(claims);
	owners_names_free(names, nnames);
}
