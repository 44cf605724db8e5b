/* ExtensionService (projectcontour.io/v1alpha1) and what uses one: the
 * external authorization of TLS virtual hosts (virtualhost.authorization,
 * authPolicy). Follows Contour's extension_processor.go and the
 * authorization parts of its httpproxy_processor.go:
 *
 *  - an ExtensionService becomes the cluster extension/<ns>/<name> (no
 *    hash of the options: one cluster per ExtensionService, as Contour),
 *    HTTP/2 (h2: over TLS, the default; h2c: cleartext), its
 *    ClusterLoadAssignment of the same name holding the endpoints of
 *    every service it lists (Services of its own namespace only);
 *  - it is added only when valid; its status carries Contour's reasons;
 *  - authorization is only for roots that terminate TLS (AuthNotPermitted
 *    otherwise), and not with the fallback certificate. */
#include "dag/build_internal.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/duration.h"

#define EXT_API_VERSION "projectcontour.io/v1alpha1"
#define EXT_DEFAULT_MAX_REQUEST_BYTES 1024

static void
extension_build(struct builder *b, size_t i)
{
	const struct object *o = b->extensions[i];
	const struct extension_service *es = &o->u.extension_service;
	size_t st = b->extension_status[i];
	struct dag_cluster *c;
	const struct object **svcs;
	const struct svc_port **ports;
	uint32_t *weights;
	size_t n = 0;
	bool ok = true;

	c = ARENA_NEW(b->arena, struct dag_cluster);
	c->name = arena_printf(b->arena, "extension/%s/%s", o->meta.namespace,
	    o->meta.name);
	c->eds_name = c->name;
	c->namespace = o->meta.namespace;
	c->service = o->meta.name;
	c->protocol = es->protocol != NULL && strcmp(es->protocol, "h2c") == 0 ?
	    DAG_PROTOCOL_H2C : DAG_PROTOCOL_H2;
	c->idle_connection_timeout_ms = DAG_TIMEOUT_DEFAULT;
	c->ext_response_timeout_ms = es->timeout_policy != NULL ?
	    policy_timeout_ms(es->timeout_policy->response) : DAG_TIMEOUT_DEFAULT;
	c->lb_policy = DAG_LB_ROUND_ROBIN;
	if (es->circuit_breakers != NULL) {
		/* The thresholds of the Services' annotations: 0 is unset. */
		c->max_connections = es->circuit_breakers->max_connections;
		c->max_pending_requests = es->circuit_breakers->max_pending_requests;
		c->max_requests = es->circuit_breakers->max_requests;
		c->max_retries = es->circuit_breakers->max_retries;
		c->per_host_max_connections =
		    es->circuit_breakers->per_host_max_connections;
	}
	if (es->lb_policy != NULL && es->lb_policy->strategy != NULL) {
		const char *s = es->lb_policy->strategy;

		if (strcmp(s, "WeightedLeastRequest") == 0)
			c->lb_policy = DAG_LB_LEAST_REQUEST;
		else if (strcmp(s, "Random") == 0)
			c->lb_policy = DAG_LB_RANDOM;
		else if (strcmp(s, "Cookie") == 0 || strcmp(s, "RequestHash") == 0)
			dag_status_warning(b, st, "SpecError", "IgnoredField",
			    &es->lb_policy->origin, "ignoring field \"%s\"; %s load "
			    "balancer policy is not supported for ExtensionClusters",
			    ".Spec.LoadBalancerPolicy", s);
	}
	if (es->timeout_policy != NULL && es->timeout_policy->idle != NULL &&
	    *es->timeout_policy->idle != '\0')
		dag_status_warning(b, st, "SpecError", "IgnoredField",
		    &es->timeout_policy->origin, "ignoring field \"%s\"; idle "
		    "timeouts are not supported for ExtensionClusters",
		    ".Spec.TimeoutPolicy.Idle");

	if (es->validation != NULL) {
		const struct hp_upstream_validation *v = es->validation;
		enum secret_problem problem;
		const char *why, *ns, *name;
		const struct dag_secret *ca = secret_use(b, v->ca_secret,
		    o->meta.namespace, SECRET_USE_CA, NULL, &problem, &why);

		if (ca == NULL && problem == SECRET_NOT_DELEGATED) {
			secret_ref_split(b, v->ca_secret, o->meta.namespace, &ns, &name);
			dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
			    "CACertificateNotDelegated", &v->origin,
			    "service.UpstreamValidation.CACertificate Secret \"%s/%s\" "
			    "is not configured for certificate delegation", ns, name);
			return;
		}
		if (ca == NULL) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "SpecError",
			    "TLSUpstreamValidation", &v->origin,
			    "TLS upstream validation policy error: %s", why);
			ok = false;
		} else {
			c->upstream_ca = ca;
			c->upstream_subject_name = v->subject_name;
			c->upstream_subject_names = v->subject_names;
			c->nupstream_subject_names = v->nsubject_names;
			c->sni = v->subject_name;
		}
		if (c->protocol != DAG_PROTOCOL_H2) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "SpecError",
			    "InconsistentProtocol", &v->origin,
			    "upstream TLS validation not supported for \"%s\" protocol",
			    es->protocol);
			ok = false;
		}
	}

	svcs = ARENA_ARRAY(b->arena, const struct object *, es->nservices + 1);
	ports = ARENA_ARRAY(b->arena, const struct svc_port *, es->nservices + 1);
	weights = ARENA_ARRAY(b->arena, uint32_t, es->nservices + 1);
	for (size_t k = 0; k < es->nservices; k++) {
		const struct ext_service_ref *ref = &es->services[k];
		const struct object *svc;
		const struct svc_port *sp = NULL;
		const char *why = NULL;

		/* Services of the ExtensionService's own namespace only. */
		svc = service_port_resolve(b, o->meta.namespace, ref->name,
		    ref->port, &sp, &why);
		if (svc == NULL) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "ServiceUnresolvedReference", &ref->origin,
			    "unresolved service \"%s/%s\": %s", o->meta.namespace,
			    ref->name, why);
			ok = false;
			continue;
		}
		if (svc->u.service.type != NULL &&
		    strcmp(svc->u.service.type, "ExternalName") == 0) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "UnsupportedServiceType", &ref->origin,
			    "Service \"%s/%s\" is of unsupported type \"ExternalName\".",
			    o->meta.namespace, ref->name);
			ok = false;
			continue;
		}
		svcs[n] = svc;
		weights[n] = ref->weight;
		ports[n++] = sp;
	}
	if (!ok)
		return;
	c->endpoints = service_endpoints_union(b, c->name, svcs, ports, weights,
	    n);
	if (b->cluster_index.cap == 0)
		dag_strmap_reserve(b->arena, &b->cluster_index, b->nservices + 4);
	dag_strmap_put(b->arena, &b->cluster_index, c->name, c);
	ARENA_PUSH(b->arena, b->dag->clusters, b->dag->nclusters, b->clusters_cap, c);
	b->extension_clusters[i] = c;
}

void
extensions_build(struct builder *b)
{
	b->extension_clusters = ARENA_ARRAY(&b->tables, struct dag_cluster *,
	    b->nextensions + 1);
	for (size_t i = 0; i < b->nextensions; i++)
		if (!dag_object_is_shadowed(b->extensions, i))
			extension_build(b, i);
}

/* The cluster of ExtensionService ns/name when it is valid, else NULL. */
static const struct dag_cluster *
extension_cluster(struct builder *b, const char *ns, const char *name,
    const struct object **found)
{
	for (size_t i = 0; i < b->nextensions; i++) {
		const struct object *o = b->extensions[i];

		if (strcmp(o->meta.namespace, ns) == 0 &&
		    strcmp(o->meta.name, name) == 0) {
			*found = o;
			return b->extension_clusters[i];
		}
	}
	*found = NULL;
	return NULL;
}

/* What one authorization (a host's or global-ext-auth) asks for. */
struct auth_request {
	const char *api_version, *ns, *name;
	const char *response_timeout;
	bool fail_open;
	bool with_body;
	uint32_t max_request_bytes;
	bool allow_partial_message, pack_as_bytes;
	const struct origin *where, *ref_where;
};

/* Contour's computeVirtualHostAuthorization: NULL when it is invalid
 * (reported on status st). */
static struct dag_ext_auth *
ext_auth_new(struct builder *b, size_t st, const struct auth_request *q)
{
	const struct dag_cluster *c;
	const struct object *ext;
	struct dag_ext_auth *ea;

	if (q->api_version != NULL && *q->api_version != '\0' &&
	    strcmp(q->api_version, EXT_API_VERSION) != 0) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "AuthError",
		    "AuthBadResourceVersion", q->ref_where,
		    "Spec.Virtualhost.Authorization.extensionRef specifies an "
		    "unsupported resource version \"%s\"", q->api_version);
		return NULL;
	}
	if ((c = extension_cluster(b, q->ns, q->name, &ext)) == NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "AuthError",
		    "ExtensionServiceNotFound", q->ref_where,
		    "Spec.Virtualhost.Authorization.ServiceRef extension service "
		    "\"%s/%s\" not found", q->ns, q->name);
		return NULL;
	}
	ea = ARENA_NEW(b->arena, struct dag_ext_auth);
	ea->cluster = c;
	ea->fail_open = q->fail_open;
	ea->timeout_ms = DAG_TIMEOUT_DEFAULT;
	if (q->response_timeout != NULL && *q->response_timeout != '\0') {
		int64_t ms;
		const char *why;

		if (strcmp(q->response_timeout, "infinity") == 0 ||
		    strcmp(q->response_timeout, "infinite") == 0) {
			ea->timeout_ms = 0;
		} else if (duration_parse_ms(q->response_timeout, &ms, &why) < 0) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "AuthError",
			    "AuthResponseTimeoutInvalid", q->where,
			    "Spec.Virtualhost.Authorization.ResponseTimeout is "
			    "invalid: %s", why);
			return NULL;
		} else {
			ea->timeout_ms = ms;
		}
	} else {
		/* The ExtensionService's response timeout is the default. */
		ea->timeout_ms = c->ext_response_timeout_ms;
	}
	if (q->with_body) {
		ea->with_body = true;
		ea->max_request_bytes = q->max_request_bytes != 0 ?
		    q->max_request_bytes : EXT_DEFAULT_MAX_REQUEST_BYTES;
		ea->allow_partial_message = q->allow_partial_message;
		ea->pack_as_bytes = q->pack_as_bytes;
	}
	return ea;
}

/* global-ext-auth of cairn.yaml, or NULL. */
static const struct config_global_ext_auth *
global_auth(const struct builder *b)
{
	return b->opts->global_ext_auth;
}

bool
extauth_root_build(struct builder *b, size_t st, const struct object *proxy,
    struct dag_tls *tls)
{
	const struct hp_virtualhost *vh = proxy->u.httpproxy.virtualhost;
	const struct hp_authorization *a = vh->authorization;
	const struct config_global_ext_auth *g = global_auth(b);
	struct auth_request q = { 0 };
	struct dag_ext_auth *ea;

	if (a == NULL && g == NULL)
		return true;
	if (a != NULL && tls == NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "AuthError",
		    "AuthNotPermitted", &a->origin,
		    "Spec.VirtualHost.Authorization.ExtensionServiceRef can only be "
		    "defined for root HTTPProxies that terminate TLS");
		return false;
	}
	/* Only terminated TLS is authorized here; the global authorization
	 * of port 80 is the listener's (translate_extauth.c). */
	if (tls == NULL || tls->passthrough)
		return true;
	if (tls->fallback != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
		    "TLSIncompatibleFeatures", a ? &a->origin : &vh->origin,
		    "Spec.Virtualhost.TLS fallback & client authorization are "
		    "incompatible");
		return false;
	}
	if (a != NULL && (a->auth_policy == NULL || !a->auth_policy->disabled)) {
		const struct hp_extension_ref *ref = a->extension_ref;

		q.api_version = ref->api_version;
		q.ns = ref->namespace && *ref->namespace ? ref->namespace :
		    proxy->meta.namespace;
		q.name = ref->name;
		q.response_timeout = a->response_timeout;
		q.fail_open = a->fail_open;
		q.where = &a->origin;
		q.ref_where = &ref->origin;
		if (a->with_request_body != NULL) {
			const struct hp_auth_body *wb = a->with_request_body;

			q.with_body = true;
			q.max_request_bytes = wb->has_max_request_bytes ?
			    wb->max_request_bytes : 0;
			q.allow_partial_message = wb->allow_partial_message;
			q.pack_as_bytes = wb->pack_as_bytes;
		}
	} else if (g != NULL) {
		/* Contour: a host without its own (or with its own disabled)
		 * gets the global one; its routes default to the host's
		 * authPolicy.disabled. */
		const char *slash = strchr(g->extension_service, '/');

		q.ns = arena_strndup(b->arena, g->extension_service,
		    (size_t)(slash - g->extension_service));
		q.name = slash + 1;
		q.response_timeout = g->response_timeout;
		q.fail_open = g->fail_open;
		q.where = q.ref_where = a ? &a->origin : &vh->origin;
		if (g->has_with_request_body) {
			q.with_body = true;
			q.max_request_bytes = g->with_request_body.max_request_bytes;
			q.allow_partial_message = g->with_request_body.allow_partial_message;
			q.pack_as_bytes = g->with_request_body.pack_as_bytes;
		}
	} else {
		return true; /* disabled, nothing global */
	}
	if ((ea = ext_auth_new(b, st, &q)) == NULL)
		return false;
	tls->ext_auth = ea;
	return true;
}

static int
context_cmp(const void *x, const void *y)
{
	const struct dag_header_value *a = x, *b = y;

	return strcmp(a->key, b->key);
}

/* Add (or replace) the entries of kv to r's context. */
static void
context_merge(struct builder *b, struct dag_route *r, size_t *cap,
    const struct kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;

		for (size_t j = 0; j < r->nauth_context && !replaced; j++)
			if (strcmp(r->auth_context[j].key, kv[i].key) == 0) {
				r->auth_context[j].value = kv[i].value;
				replaced = true;
			}
		if (!replaced) {
			struct dag_header_value hv = { kv[i].key, kv[i].value };

			ARENA_PUSH(b->arena, r->auth_context, r->nauth_context, *cap, hv);
		}
	}
}

/* route_build: remember the route's own policy until the host's is
 * known (a route of an included proxy does not know its root). */
void
extauth_route(struct builder *b, const struct hp_auth_policy *p,
    struct dag_route *r)
{
	size_t cap = 0;

	if (p == NULL)
		return;
	r->auth_disabled = p->disabled;
	context_merge(b, r, &cap, p->context, p->ncontext);
	r->auth_policy_set = true;
}

/* root_build: the host's policy under the route's (Contour: the route's
 * disabled wins, its context entries override the host's). */
void
extauth_route_finish(struct builder *b, const struct hp_authorization *a,
    struct dag_route *r)
{
	const struct config_global_ext_auth *g = global_auth(b);
	struct dag_header_value *own = r->auth_context;
	size_t nown = r->nauth_context, cap = 0;
	bool disabled = g != NULL && g->auth_policy.disabled;

	if (a != NULL && a->auth_policy != NULL)
		disabled = a->auth_policy->disabled;
	if (!r->auth_policy_set)
		r->auth_disabled = disabled;
	r->auth_context = NULL;
	r->nauth_context = 0;
	/* Global context, then the host's, then the route's: later wins. */
	if (g != NULL)
		context_merge(b, r, &cap, g->auth_policy.context,
		    g->auth_policy.ncontext);
	if (a != NULL && a->auth_policy != NULL)
		context_merge(b, r, &cap, a->auth_policy->context,
		    a->auth_policy->ncontext);
	for (size_t i = 0; i < nown; i++) {
		struct kv kv = { (char *)own[i].key, (char *)own[i].value };

		context_merge(b, r, &cap, &kv, 1);
	}
	if (r->nauth_context > 1)
		qsort(r->auth_context, r->nauth_context, sizeof r->auth_context[0],
		    context_cmp);
}
