/* The secure side of virtual hosts (Contour's SecureVirtualHost): the
 * certificate, TLS versions, client validation and fallback certificate
 * of an HTTPProxy's virtualhost.tls, its spec.tcpproxy (passthrough or
 * TLS termination to TCP services), the tls of an Ingress, and the
 * upstream validation of services. Messages and reasons are Contour's. */
#include "dag/build_internal.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"

/* --- TLS versions ------------------------------------------------------------ */

static const char *
global_min_version(const struct builder *b)
{
	return b->opts->tls_minimum_version;
}

static const char *
global_max_version(const struct builder *b)
{
	return b->opts->tls_maximum_version;
}

/* The versions a host gets: the higher of its own minimum (default 1.2)
 * and cairn.yaml's; its own maximum, else cairn.yaml's. Returns false
 * when they contradict each other (why set). */
static bool
tls_versions(struct builder *b, const char *min, const char *max,
    struct dag_tls *dt, const char **why)
{
	const char *gmin = global_min_version(b);

	if (min == NULL || (strcmp(min, "1.2") != 0 && strcmp(min, "1.3") != 0))
		min = "1.2";
	if (strcmp(gmin, min) > 0)
		min = gmin;
	if (max == NULL || (strcmp(max, "1.2") != 0 && strcmp(max, "1.3") != 0))
		max = global_max_version(b);
	dt->minimum_version = min;
	dt->maximum_version = max;
	if (strcmp(min, max) > 0) {
		*why = arena_printf(b->arena, "the minimum protocol version (%s, "
		    "after envoy.tls.minimum-protocol-version) is greater than the "
		    "maximum protocol version (%s)", min, max);
		return false;
	}
	return true;
}

/* --- upstream validation ----------------------------------------------------- */

bool
vhost_tls_upstream_validation(struct builder *b, size_t st,
    const struct object *proxy, const struct hp_service *s,
    struct cluster_options *opts)
{
	const struct hp_upstream_validation *v = hp_service_rare(s)->validation;
	const struct dag_secret *ca;
	enum secret_problem problem;
	const char *why, *ns, *name;

	if (v == NULL)
		return true;
	ca = secret_use(b, v->ca_secret, proxy->meta.namespace, SECRET_USE_CA, NULL,
	    &problem, &why);
	if (ca == NULL) {
		secret_ref_split(b, v->ca_secret, proxy->meta.namespace, &ns, &name);
		if (problem == SECRET_NOT_DELEGATED)
			dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
			    "CACertificateNotDelegated", &v->origin,
			    "service.UpstreamValidation.CACertificate Secret \"%s/%s\" "
			    "is not configured for certificate delegation", ns, name);
		else
			dag_status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "TLSUpstreamValidation", &v->origin,
			    "Service [%s:%d] TLS upstream validation policy error: %s",
			    s->name, s->port, why);
		return false;
	}
	opts->upstream_ca = ca;
	opts->upstream_subject_name = v->subject_name;
	opts->upstream_subject_names = v->subject_names;
	opts->nupstream_subject_names = v->nsubject_names;
	return true;
}

/* --- spec.tcpproxy ----------------------------------------------------------- */

static enum dag_lb_policy
tcp_lb_policy(struct builder *b, size_t st, const struct hp_lb_policy *lb)
{
	if (lb == NULL || lb->strategy == NULL)
		return DAG_LB_ROUND_ROBIN;
	if (strcmp(lb->strategy, "WeightedLeastRequest") == 0)
		return DAG_LB_LEAST_REQUEST;
	if (strcmp(lb->strategy, "Random") == 0)
		return DAG_LB_RANDOM;
	if (strcmp(lb->strategy, "Cookie") == 0 ||
	    strcmp(lb->strategy, "RequestHash") == 0)
		dag_status_warning(b, st, "TCPProxyError", "IgnoredField", &lb->origin,
		    "ignoring field \"Spec.TCPProxy.LoadBalancerPolicy\"; %s load "
		    "balancer policy is not supported for TCPProxies", lb->strategy);
	return DAG_LB_ROUND_ROBIN;
}

/* Contour's processHTTPProxyTCPProxy: the tcpproxy of proxy pi, following
 * include links (errors on the proxy that has them). */
static bool
tcpproxy_build(struct builder *b, size_t pi, const struct object **visited,
    size_t nvisited, struct dag_tcpproxy **out)
{
	const struct object *proxy = b->proxies[pi];
	const struct hp_tcpproxy *tp = proxy->u.httpproxy.tcpproxy;
	size_t st = b->proxy_status[pi], cap = 0, ci;
	const struct hp_tcpproxy_include *inc;
	struct dag_tcpproxy *dt;
	enum dag_lb_policy lb;
	const struct dag_health_check *hc;
	uint32_t total = 0;
	const char *ns;

	if (tp == NULL)
		return true;
	visited[nvisited++] = proxy;
	inc = tp->include ? tp->include : tp->includes;
	if (tp->nservices > 0 && inc != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TCPProxyError",
		    "NoServicesAndInclude", &tp->origin,
		    "cannot specify services and include in the same httpproxy");
		return false;
	}
	lb = tcp_lb_policy(b, st, tp->lb_policy);
	hc = dag_health_check_new(b, tp->health_check, true);
	if (tp->nservices > 0) {
		dt = ARENA_NEW(b->arena, struct dag_tcpproxy);
		/* Zero weights get no traffic (and no cluster) unless all are
		 * zero: then traffic is even. */
		for (size_t i = 0; i < tp->nservices; i++)
			total += tp->services[i].weight;
		for (size_t i = 0; i < tp->nservices; i++) {
			const struct hp_service *s = &tp->services[i];
			struct cluster_options opts = { .protocol = hp_service_rare(s)->protocol,
				.lb_policy = lb, .health_check = hc,
				.idle_connection_timeout_ms = DAG_TIMEOUT_DEFAULT };
			struct dag_weighted_cluster wc = { 0 };
			const char *why;

			if (total > 0 && s->weight == 0)
				continue;
			if (!vhost_tls_upstream_validation(b, st, proxy, s, &opts))
				return false;
			wc.cluster = service_cluster(b, proxy->meta.namespace, s->name,
			    s->port, NULL, &opts, &why);
			if (wc.cluster == NULL) {
				dag_status_error(b, st, DAG_STATUS_INVALID, "TCPProxyError",
				    "ServiceUnresolvedReference", &s->origin,
				    "Spec.TCPProxy unresolved service reference: %s", why);
				return false;
			}
			wc.weight = total > 0 ? s->weight : 1;
			ARENA_PUSH(b->arena, dt->clusters, dt->nclusters, cap, wc);
		}
		*out = dt;
		return true;
	}
	if (inc == NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TCPProxyError",
		    "NothingDefined", &tp->origin,
		    "either services or inclusion must be specified");
		return false;
	}
	ns = inc->namespace ? inc->namespace : proxy->meta.namespace;
	ci = dag_proxy_find(b, ns, inc->name);
	if (ci == (size_t)-1 || b->proxy_ignored[ci]) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TCPProxyIncludeError",
		    "IncludeNotFound", &inc->origin, "include %s/%s not found", ns,
		    inc->name);
		return false;
	}
	if (b->proxies[ci]->u.httpproxy.virtualhost != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TCPProxyIncludeError",
		    "RootIncludesRoot", &inc->origin,
		    "root httpproxy cannot include another root httpproxy (%s/%s)",
		    ns, inc->name);
		return false;
	}
	b->tcpproxy_reached[ci] = true;
	for (size_t i = 0; i < nvisited; i++) {
		char *path;

		if (visited[i] != b->proxies[ci])
			continue;
		path = arena_strdup(b->arena, "");
		for (size_t j = 0; j < nvisited; j++)
			path = arena_printf(b->arena, "%s%s/%s -> ", path,
			    visited[j]->meta.namespace, visited[j]->meta.name);
		dag_status_error(b, st, DAG_STATUS_INVALID, "TCPProxyIncludeError",
		    "IncludeCreatesCycle", &inc->origin,
		    "include creates a cycle: %s%s/%s", path, ns, inc->name);
		return false;
	}
	return tcpproxy_build(b, ci, visited, nvisited, out);
}

/* --- virtualhost.tls --------------------------------------------------------- */

static bool
client_validation(struct builder *b, size_t st, const struct object *proxy,
    const struct hp_client_validation *cv, struct dag_tls *dt)
{
	struct dag_client_validation *dv = ARENA_NEW(b->arena,
	    struct dag_client_validation);
	enum secret_problem problem;
	const char *why;

	dv->skip_verification = cv->skip_client_cert_validation;
	dv->optional = cv->optional_client_certificate;
	dv->only_verify_leaf_crl = cv->only_verify_leaf_cert_crl;
	if (cv->forward_client_certificate != NULL) {
		const struct hp_forward_cert *f = cv->forward_client_certificate;

		dv->forward = true;
		dv->forward_subject = f->subject;
		dv->forward_cert = f->cert;
		dv->forward_chain = f->chain;
		dv->forward_dns = f->dns;
		dv->forward_uri = f->uri;
	}
	if (cv->ca_secret != NULL && *cv->ca_secret) {
		dv->ca = secret_use(b, cv->ca_secret, proxy->meta.namespace,
		    SECRET_USE_CA, cv->crl_secret && *cv->crl_secret ?
		    cv->crl_secret : NULL, &problem, &why);
		if (dv->ca == NULL) {
			if (problem == SECRET_NOT_DELEGATED)
				dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
				    "DelegationNotPermitted", &cv->origin,
				    "Spec.VirtualHost.TLS CA Secret \"%s\" is invalid: %s",
				    cv->ca_secret, why);
			else
				dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
				    "ClientValidationInvalid", &cv->origin,
				    "Spec.VirtualHost.TLS client validation is invalid: "
				    "invalid CA Secret \"%s\": %s", cv->ca_secret, why);
			return false;
		}
	} else if (cv->crl_secret != NULL && *cv->crl_secret) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
		    "ClientValidationInvalid", &cv->origin,
		    "Spec.VirtualHost.TLS client validation is invalid: crlSecret "
		    "needs caSecret");
		return false;
	} else if (!cv->skip_client_cert_validation) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
		    "ClientValidationInvalid", &cv->origin,
		    "Spec.VirtualHost.TLS client validation is invalid: CA Secret "
		    "must be specified");
		return false;
	}
	dt->client_validation = dv;
	return true;
}

static bool
fallback_certificate(struct builder *b, size_t st, const struct object *proxy,
    const struct hp_tls *t, struct dag_tls *dt)
{
	const char *name, *fns;
	enum secret_problem problem;
	const char *why, *ref;

	if (t->client_validation != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
		    "TLSIncompatibleFeatures", &t->origin,
		    "Spec.Virtualhost.TLS fallback & client validation are "
		    "incompatible");
		return false;
	}
	name = b->opts->fallback_name;
	fns = b->opts->fallback_namespace;
	if (name == NULL || name[0] == '\0') {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError", "FallbackNotPresent",
		    &t->origin, "Spec.Virtualhost.TLS enabled fallback but the "
		    "fallback Certificate Secret is not configured in cairn.yaml "
		    "(envoy.tls.fallback-certificate)");
		return false;
	}
	ref = arena_printf(b->arena, "%s/%s", fns && *fns ? fns : "default",
	    name);
	dt->fallback = secret_use(b, ref, proxy->meta.namespace,
	    SECRET_USE_CERTIFICATE, NULL, &problem, &why);
	if (dt->fallback != NULL)
		return true;
	if (problem == SECRET_NOT_DELEGATED)
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
		    "FallbackNotDelegated", &t->origin, "Spec.VirtualHost.TLS Secret "
		    "\"%s\" is not configured for certificate delegation", ref);
	else
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError", "FallbackNotValid",
		    &t->origin, "Spec.Virtualhost.TLS Secret \"%s\" fallback "
		    "certificate is invalid: %s", ref, why);
	return false;
}

bool
vhost_tls_root_build(struct builder *b, size_t pi, size_t st,
    struct dag_tls **out)
{
	const struct object *proxy = b->proxies[pi];
	const struct httpproxy *hp = &proxy->u.httpproxy;
	const struct hp_tls *t = hp->virtualhost->tls;
	enum secret_problem problem;
	struct dag_tls *dt;
	const char *why;

	*out = NULL;
	if (b->tcpproxy_reached == NULL) {
		b->tcpproxy_reached = ARENA_ARRAY(&b->tables, bool, b->nproxies + 1);
		b->tcpproxy_chain = ARENA_ARRAY(&b->tables, const struct object *,
		    b->nproxies + 1);
	}
	if (t == NULL) {
		if (hp->tcpproxy != NULL) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "TCPProxyError",
			    "TLSMustBeConfigured", &hp->tcpproxy->origin,
			    "Spec.TCPProxy requires that either Spec.TLS.Passthrough or "
			    "Spec.TLS.SecretName be set");
			return false;
		}
		return true;
	}
	if (t->passthrough && t->enable_fallback_certificate) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
		    "TLSIncompatibleFeatures", &t->origin, "Spec.VirtualHost.TLS: both "
		    "Passthrough and enableFallbackCertificate were specified");
		return false;
	}
	if (t->secret_name != NULL && *t->secret_name && t->passthrough) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError", "TLSConfigNotValid",
		    &t->origin, "Spec.VirtualHost.TLS: both Passthrough and "
		    "SecretName were specified");
		return false;
	}
	if ((t->secret_name == NULL || !*t->secret_name) && !t->passthrough) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError", "TLSConfigNotValid",
		    &t->origin, "Spec.VirtualHost.TLS: neither Passthrough nor "
		    "SecretName were specified");
		return false;
	}
	if (t->passthrough && t->client_validation != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
		    "TLSIncompatibleFeatures", &t->origin, "Spec.VirtualHost.TLS "
		    "passthrough cannot be combined with tls.clientValidation");
		return false;
	}
	dt = ARENA_NEW(b->arena, struct dag_tls);
	dt->passthrough = t->passthrough;
	if (!t->passthrough) {
		dt->secret = secret_use(b, t->secret_name, proxy->meta.namespace,
		    SECRET_USE_CERTIFICATE, NULL, &problem, &why);
		if (dt->secret == NULL) {
			if (problem == SECRET_NOT_DELEGATED)
				dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
				    "DelegationNotPermitted", &t->origin,
				    "Spec.VirtualHost.TLS Secret \"%s\" certificate "
				    "delegation not permitted", t->secret_name);
			else
				dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
				    "SecretNotValid", &t->origin, "Spec.VirtualHost.TLS "
				    "Secret \"%s\" is invalid: %s", t->secret_name, why);
			return false;
		}
		if (!tls_versions(b, t->minimum_protocol_version,
		    t->maximum_protocol_version, dt, &why)) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "TLSError",
			    "TLSConfigNotValid", &t->origin, "Spec.Virtualhost.TLS %s",
			    why);
			return false;
		}
		if (t->enable_fallback_certificate &&
		    !fallback_certificate(b, st, proxy, t, dt))
			return false;
		if (t->client_validation != NULL &&
		    !client_validation(b, st, proxy, t->client_validation, dt))
			return false;
	} else if (hp->tcpproxy == NULL) {
		dag_status_warning(b, st, "TLSError", "PassthroughWithoutTCPProxy",
		    &t->origin, "Spec.VirtualHost.TLS.passthrough is set but there is "
		    "no Spec.TCPProxy: nothing is served on ingress_https for this host");
	}
	if (hp->tcpproxy != NULL &&
	    !tcpproxy_build(b, pi, b->tcpproxy_chain, 0, &dt->tcpproxy))
		return false;
	*out = dt;
	return true;
}

/* --- Ingress spec.tls ---------------------------------------------------------- */

void
vhost_tls_ingress_host(struct builder *b, size_t st, const struct object *ing,
    const char *host, const char *secret_ref, const struct origin *where)
{
	const char *min, *max, *why;
	enum secret_problem problem;
	struct builder_vhost *bv;
	struct dag_tls *dt;

	if (host == NULL || *host == '\0' || strcmp(host, "*") == 0) {
		dag_status_warning(b, st, "TLSError", "TLSConfigNotValid", where,
		    "spec.tls: a TLS host needs a name (SNI); \"%s\" is ignored",
		    host ? host : "");
		return;
	}
	bv = dag_vhost_get(b, host, ing);
	dt = ARENA_NEW(b->arena, struct dag_tls);
	dt->secret = secret_use(b, secret_ref, ing->meta.namespace,
	    SECRET_USE_CERTIFICATE, NULL, &problem, &why);
	/* Like Contour, the rest of the Ingress is still served: a
	 * warning, not an invalid object. */
	if (dt->secret == NULL) {
		dag_status_warning(b, st, "TLSError",
		    problem == SECRET_NOT_DELEGATED ? "DelegationNotPermitted" :
		    "SecretNotValid", where, "spec.tls: %s; host \"%s\" is not served "
		    "over HTTPS", problem == SECRET_NOT_FOUND ? why :
		    arena_printf(b->arena, "Secret \"%s\" %s", secret_ref,
		    problem == SECRET_NOT_DELEGATED ? "certificate delegation not "
		    "permitted" : arena_printf(b->arena, "is invalid: %s", why)), host);
		return;
	}
	if (bv->vh.tls != NULL) {
		/* An HTTPProxy (processed first) or an earlier Ingress has
		 * secured this host: theirs stands. */
		if (bv->vh.tls->secret != dt->secret)
			dag_status_warning(b, st, "TLSError", "TLSHostConflict", where,
			    "spec.tls: host \"%s\" already has TLS from %s %s/%s; this "
			    "entry is ignored", host, obj_kind_name(bv->vh.owner_kind),
			    bv->vh.proxy_namespace, bv->vh.proxy_name);
		return;
	}
	min = dag_annotation_get(ing, "projectcontour.io/tls-minimum-protocol-version");
	max = dag_annotation_get(ing, "projectcontour.io/tls-maximum-protocol-version");
	if (!tls_versions(b, min, max, dt, &why)) {
		dag_status_warning(b, st, "TLSError", "TLSConfigNotValid",
		    where, "spec.tls: %s; host \"%s\" is not served over HTTPS", why,
		    host);
		return;
	}
	bv->vh.tls = dt;
}

/* --- the end of a build ---------------------------------------------------------- */

int
dag_secret_ptr_cmp(const void *a, const void *b)
{
	const struct dag_secret *x = *(struct dag_secret *const *)a;
	const struct dag_secret *y = *(struct dag_secret *const *)b;

	return strcmp(x->name, y->name);
}

static void
secret_add(struct builder *b, struct strmap *seen, size_t *cap,
    const struct dag_secret *s)
{
	struct dag *dag = b->dag;

	if (s == NULL || dag_strmap_get(seen, s->name) != NULL)
		return;
	dag_strmap_put(b->arena, seen, s->name, (void *)s);
	ARENA_PUSH(b->arena, dag->secrets, dag->nsecrets, *cap, (struct dag_secret *)s);
}

/* Only Secrets a listener or cluster refers to are sent: an unused key
 * has no business on every Envoy. */
void
vhost_tls_finish(struct builder *b)
{
	struct dag *dag = b->dag;
	struct strmap seen = { 0 };
	size_t cap = 0;

	for (size_t i = 0; i < dag->nvhosts; i++) {
		const struct dag_tls *t = dag->vhosts[i].tls;

		if (t == NULL)
			continue;
		secret_add(b, &seen, &cap, t->secret);
		secret_add(b, &seen, &cap, t->fallback);
		if (t->client_validation != NULL)
			secret_add(b, &seen, &cap, t->client_validation->ca);
	}
	/* Gateway nodes get their clusters' CAs from their own view
	 * (translate_gateway.c). A patched Gateway group's clusters are
	 * all its routes' (gw_patch_finish): none to read. */
	for (size_t i = 0; !b->gw_sorted && i < dag->nclusters; i++)
		if (!dag->clusters[i]->gateway_only) {
			secret_add(b, &seen, &cap, dag->clusters[i]->upstream_ca);
			secret_add(b, &seen, &cap,
			    dag->clusters[i]->upstream_client_cert);
		}
	if (dag->nsecrets > 1)
		qsort(dag->secrets, dag->nsecrets, sizeof dag->secrets[0],
		    dag_secret_ptr_cmp);
}
