/* Typed Kubernetes-shaped objects as the loader produces them. Every
 * object and string lives in the arena of the loaded_file it came from.
 * Fields a document did not set are NULL / 0 / false; `has_*` flags say
 * whether a numeric field was given at all. */
#ifndef CAIRN_LOAD_OBJECTS_H
#define CAIRN_LOAD_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum obj_kind {
	OBJ_HTTPPROXY,
	OBJ_SERVICE,
	OBJ_ENDPOINTS,
	OBJ_KIND_COUNT,
};

struct kv {
	char *key, *value;
};

/* Where something came from, for every message about it. */
struct origin {
	const char *file;
	int line, col;
};

struct obj_meta {
	char *name, *namespace;
	struct kv *labels;
	size_t nlabels;
	struct kv *annotations;
	size_t nannotations;
	struct origin origin; /* of the document's root mapping */
};

/* --- HTTPProxy (projectcontour.io/v1) --------------------------------- */

struct hp_header_match {
	char *name;
	bool present, notpresent;
	char *exact, *notexact, *contains, *notcontains, *regex;
	bool ignore_case;
	struct origin origin;
};

struct hp_condition {
	char *prefix, *exact, *regex; /* at most one of the three */
	struct hp_header_match *header; /* NULL unless `header:` given */
	struct origin origin;
};

struct hp_service {
	char *name;
	int32_t port;
	uint32_t weight;
	bool has_weight;
	struct origin origin;
};

struct hp_route {
	struct hp_condition *conditions;
	size_t nconditions;
	struct hp_service *services;
	size_t nservices;
	struct origin origin;
};

struct hp_virtualhost {
	char *fqdn;
	struct origin origin;
};

struct httpproxy {
	struct hp_virtualhost *virtualhost; /* NULL: not a root proxy */
	struct hp_route *routes;
	size_t nroutes;
};

/* --- Service (v1) ----------------------------------------------------- */

struct svc_port {
	char *name;
	int32_t port;
	int32_t target_port; /* 0 when targetPort is a name or absent */
	char *target_port_name;
	char *protocol; /* TCP (default), UDP, SCTP */
	char *app_protocol;
	struct origin origin;
};

struct service {
	char *type; /* ClusterIP (default), ExternalName, ... */
	char *external_name;
	struct svc_port *ports;
	size_t nports;
};

/* --- Endpoints (v1) --------------------------------------------------- */

struct ep_address {
	char *ip;
	char *hostname;
	struct origin origin;
};

struct ep_port {
	char *name;
	int32_t port;
	char *protocol;
	char *app_protocol;
	struct origin origin;
};

struct ep_subset {
	struct ep_address *addresses;
	size_t naddresses;
	struct ep_address *not_ready_addresses;
	size_t nnot_ready_addresses;
	struct ep_port *ports;
	size_t nports;
	struct origin origin;
};

struct endpoints {
	struct ep_subset *subsets;
	size_t nsubsets;
};

/* --- any object ------------------------------------------------------- */

struct object {
	enum obj_kind kind;
	const char *api_version, *kind_name; /* as written */
	struct obj_meta meta;
	union {
		struct httpproxy httpproxy;
		struct service service;
		struct endpoints endpoints;
	} u;
};

const char *obj_kind_name(enum obj_kind kind);

#endif
