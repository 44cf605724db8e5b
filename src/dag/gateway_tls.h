/* Gateway API TLS (gateway_tls.c, docs/gateway-api.md): listener
 * certificates and client validation, the route kinds of TLS and TCP
 * listeners, and BackendTLSPolicy. Used by gateway.c only. */
#ifndef CAIRN_DAG_GATEWAY_TLS_H
#define CAIRN_DAG_GATEWAY_TLS_H

#include "dag/build_internal.h"

/* allowedRoutes.kinds of a TLS or TCP listener l: sets what it takes and
 * the listener status' supportedKinds. Returns false when a kind it
 * cannot serve is listed (InvalidRouteKinds). */
bool gw_tls_listener_kinds(struct builder *b, const struct gw_listener *l,
    bool *tlsroute, bool *tcproute, struct dag_gw_listener_status *lst);

/* The TLS of an HTTPS or TLS listener l of Gateway gw: *out gets a chain
 * (its server_name the listener's hostname) with the certificates
 * (Terminate) or none (Passthrough), and the client validation of the
 * Gateway's tls.frontend. Returns false with the listener's ResolvedRefs
 * reason and a message when a reference does not resolve (*out NULL). */
bool gw_tls_listener(struct builder *b, const struct object *gw,
    const struct gw_listener *l, struct dag_gw_chain **out,
    const char **reason, const char **msg);

/* Whether grant g lets from_kind objects (group gateway.networking.k8s.io)
 * of from_ns reach to_group/to_kind to_name (g's namespace is the
 * caller's to check). */
struct referencegrant;
bool gw_grant_permits(const struct referencegrant *g, const char *from_kind,
    const char *from_ns, const char *to_group, const char *to_kind,
    const char *to_name);

/* A ReferenceGrant in to_ns lets from_kind objects (group
 * gateway.networking.k8s.io) of from_ns reach to_group/to_kind to_name. */
bool gw_tls_granted(const struct builder *b, const char *from_kind,
    const char *from_ns, const char *to_group, const char *to_kind,
    const char *to_ns, const char *to_name);

/* BackendTLSPolicies (v1alpha3, v1): each checked once per build. */
struct gw_tls_policies;
struct gw_tls_policies *gw_tls_policies_build(struct builder *b);
/* The policy of Service ns/name port number port, if any, into opts (TLS
 * to the backend, "h2" for gRPC, the CA, hostname as SNI and SAN, the
 * subjectAltNames); *applied says whether one did. The Gateway ancestor
 * (whose route uses the Service) joins the policy's status. Returns false
 * with the route's ResolvedRefs reason and a message when the policy is
 * not valid: the backend must not be reached in plain text then. */
bool gw_tls_policy_apply(struct builder *b, struct gw_tls_policies *ps,
    const char *ns, const char *name, int32_t port, bool grpc,
    const struct object *ancestor, struct cluster_options *opts,
    bool *applied, const char **reason, const char **msg);

/* A served Gateway's TLS checks: warnings for listeners' tls.options
 * cairn does not honour; with tls.backend.clientCertificateRef, its
 * ResolvedRefs condition (InvalidClientCertificateRef, RefNotPermitted)
 * joins gs, and a warning located at the reference when it does not
 * resolve (backends then get no client certificate). */
struct dag_gw_status;
void gw_gateway_tls_status(struct builder *b, const struct object *gw,
    size_t st, struct dag_gw_status *gs);

#endif
