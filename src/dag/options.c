/* The parts of cairn.yaml the DAG reads (struct dag_options, dag.h):
 * filled from the config in one place, and hashed member by member so
 * that the DAG's kept parts are dropped when any of them changes. */
#include "dag/dag.h"

#include <string.h>

#include "config.h"
#include "load/objects.h"
#include "util/hash.h"

void
dag_options_from_config(struct dag_options *out, const struct cairn_config *cfg)
{
	const struct config_global_ext_auth *g;

	memset(out, 0, sizeof *out);
	out->regex_max_program_size = 1000;
	out->allow_external_name = true;
	out->dns_family = DAG_DNS_AUTO;
	out->tls_minimum_version = "1.2";
	out->tls_maximum_version = "1.3";
	if (cfg == NULL)
		return;
	out->regex_max_program_size = cfg->envoy.regex_max_program_size;
	out->allow_external_name = cfg->policy.allow_external_name;
	out->dns_family = (uint64_t)cfg->envoy.cluster.dns_lookup_family;
	out->root_namespaces = cfg->policy.root_namespaces;
	out->nroot_namespaces = cfg->policy.nroot_namespaces;
	out->fqdn_owners = cfg->policy.fqdn_owners;
	out->nfqdn_owners = cfg->policy.nfqdn_owners;
	out->tls_minimum_version =
	    config_tls_version_name(cfg->envoy.tls.minimum_protocol_version);
	out->tls_maximum_version =
	    config_tls_version_name(cfg->envoy.tls.maximum_protocol_version);
	out->fallback_namespace = cfg->envoy.tls.fallback_certificate.namespace;
	out->fallback_name = cfg->envoy.tls.fallback_certificate.name;
	g = &cfg->global_ext_auth;
	if (g->extension_service != NULL && *g->extension_service != '\0')
		out->global_ext_auth = g;
	out->default_global_ratelimit =
	    cfg->rate_limit_service.default_global_rate_limit_policy;
}

static uint64_t
str_hash(const char *s)
{
	return s == NULL ? 0 : hash_bytes(s, strlen(s));
}

static void
hash_str0(struct hash_state *h, const char *s)
{
	if (s == NULL)
		s = "";
	hash_update(h, s, strlen(s) + 1);
}

/* rate-limit-service.default-global-rate-limit-policy (ratelimit.c). */
static void
hash_global_ratelimit(struct hash_state *h, const struct hp_global_ratelimit *g)
{
	uint64_t v[2] = { g != NULL, g != NULL ? g->disabled : 0 };

	hash_update(h, v, sizeof v);
	for (size_t i = 0; g != NULL && i < g->ndescriptors; i++) {
		const struct hp_rl_descriptor *d = &g->descriptors[i];

		hash_update(h, "{", 1);
		for (size_t k = 0; k < d->nentries; k++) {
			const struct hp_rl_entry *e = &d->entries[k];
			uint64_t w[5] = { e->generic_key != NULL,
				e->request_header != NULL, e->header_value_match != NULL,
				e->remote_address, 0 };

			if (e->header_value_match != NULL)
				w[4] = e->header_value_match->nheaders |
				    (uint64_t)e->header_value_match->expect_match << 32 |
				    (uint64_t)e->header_value_match->has_expect_match << 33;
			hash_update(h, w, sizeof w);
			if (e->generic_key != NULL) {
				hash_str0(h, e->generic_key->key);
				hash_str0(h, e->generic_key->value);
			}
			if (e->request_header != NULL) {
				hash_str0(h, e->request_header->header_name);
				hash_str0(h, e->request_header->descriptor_key);
			}
			if (e->header_value_match != NULL) {
				const struct hp_rl_header_value_match *m =
				    e->header_value_match;

				hash_str0(h, m->value);
				for (size_t j = 0; j < m->nheaders; j++) {
					const struct hp_header_match *hm = &m->headers[j];
					uint64_t x = hm->present | hm->notpresent << 1 |
					    hm->ignore_case << 2 |
					    hm->treat_missing_as_empty << 3;

					hash_update(h, &x, sizeof x);
					hash_str0(h, hm->name);
					hash_str0(h, hm->exact);
					hash_str0(h, hm->notexact);
					hash_str0(h, hm->contains);
					hash_str0(h, hm->notcontains);
					hash_str0(h, hm->regex);
				}
			}
		}
	}
}

/* Every member of o, by content: parts built under other options are not
 * reused. The assert below fails the build when a member is added, until
 * it is hashed here. */
uint64_t
dag_options_fingerprint(const struct dag_options *o)
{
	struct hash_state *h = hash_begin();
	const struct config_global_ext_auth *g = o->global_ext_auth;
	uint64_t v[3] = { o->regex_max_program_size, o->dns_family,
		o->allow_external_name };

	/* Every member is 8 bytes wide, so any new one changes the size. */
	_Static_assert(sizeof(struct dag_options) == 13 * 8,
	    "a new member of struct dag_options must be hashed here");
	hash_update(h, v, sizeof v);
	hash_update(h, &o->nroot_namespaces, sizeof o->nroot_namespaces);
	for (size_t i = 0; i < o->nroot_namespaces; i++)
		hash_str0(h, o->root_namespaces[i]);
	hash_update(h, &o->nfqdn_owners, sizeof o->nfqdn_owners);
	for (size_t i = 0; i < o->nfqdn_owners; i++) {
		const struct config_fqdn_owner *fo = &o->fqdn_owners[i];

		hash_str0(h, fo->namespace);
		for (size_t k = 0; k < fo->npatterns; k++)
			hash_str0(h, fo->patterns[k]);
		hash_update(h, "\n", 1);
	}
	hash_str0(h, o->tls_minimum_version);
	hash_str0(h, o->tls_maximum_version);
	hash_str0(h, o->fallback_namespace);
	hash_str0(h, o->fallback_name);
	hash_global_ratelimit(h, o->default_global_ratelimit);
	if (g != NULL) {
		uint64_t w[6] = { str_hash(g->extension_service),
			str_hash(g->response_timeout), g->fail_open,
			g->auth_policy.disabled, g->has_with_request_body,
			g->with_request_body.max_request_bytes |
			(uint64_t)g->with_request_body.allow_partial_message << 32 |
			(uint64_t)g->with_request_body.pack_as_bytes << 33 };

		hash_update(h, "g", 1);
		hash_update(h, w, sizeof w);
		for (size_t i = 0; i < g->auth_policy.ncontext; i++) {
			hash_str0(h, g->auth_policy.context[i].key);
			hash_str0(h, g->auth_policy.context[i].value);
		}
	}
	return hash_end(h) | 2;
}
