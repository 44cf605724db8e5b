/* Shared between the schema table files of src/load/ (kinds.c and
 * kinds_tls.c) only. */
#ifndef CAIRN_LOAD_KINDS_INTERNAL_H
#define CAIRN_LOAD_KINDS_INTERNAL_H

#include "load/schema.h"

/* kinds.c */
extern const struct schema_table kinds_meta;
extern const struct schema_table kinds_service_ref; /* HTTPProxy services[] */
extern const struct schema_table kinds_lb_policy;
extern const struct schema_table kinds_timeout; /* timeoutPolicy */
extern const struct schema_table kinds_header; /* conditions[].header */

/* kinds_tls.c */
extern const struct schema_table kinds_secret;
extern const struct schema_table kinds_tlsdelegation;
extern const struct schema_table kinds_hp_tls; /* virtualhost.tls */
extern const struct schema_table kinds_tcpproxy; /* spec.tcpproxy */
extern const struct schema_table kinds_upstream_validation; /* services[].validation */

/* kinds_ext.c */
extern const struct schema_table kinds_extension_service;
extern const struct schema_table kinds_authorization; /* virtualhost.authorization */
extern const struct schema_table kinds_auth_policy; /* authPolicy */
/* kinds_ratelimit.c */
extern const struct schema_table kinds_global_ratelimit; /* rateLimitPolicy.global */
/* kinds_jwt.c */
extern const struct schema_table kinds_jwt_provider; /* virtualhost.jwtProviders[] */
extern const struct schema_table kinds_jwt_policy; /* routes[].jwtVerificationPolicy */
/* kinds_gateway.c: ends with a row whose api_version is NULL */
struct kind_info;
extern const struct kind_info kinds_gateway_api[];

#endif
