/* The registry of the kinds cairn reads (SPEC.md §5): apiVersion and
 * kind -> the schema table that decodes a document into a struct object.
 * The tables themselves are in the kinds_*.c files, one subject each. */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <string.h>

#include "util/xalloc.h"

static const struct kind_info kinds[] = {
	{ "projectcontour.io/v1", "HTTPProxy", OBJ_HTTPPROXY, &kinds_httpproxy },
	{ "v1", "Service", OBJ_SERVICE, &kinds_service },
	{ "v1", "Endpoints", OBJ_ENDPOINTS, &kinds_endpoints },
	{ "networking.k8s.io/v1", "Ingress", OBJ_INGRESS, &kinds_ingress },
	{ "discovery.k8s.io/v1", "EndpointSlice", OBJ_ENDPOINTSLICE,
	  &kinds_endpointslice },
	{ "v1", "Secret", OBJ_SECRET, &kinds_secret },
	{ "projectcontour.io/v1", "TLSCertificateDelegation",
	  OBJ_TLSCERTDELEGATION, &kinds_tlsdelegation },
	{ "projectcontour.io/v1alpha1", "ExtensionService", OBJ_EXTENSIONSERVICE,
	  &kinds_extension_service },
};

const struct kind_info *
kinds_find(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < nitems(kinds); i++)
		if (strcmp(kinds[i].api_version, api_version) == 0 &&
		    strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	for (const struct kind_info *k = kinds_gateway_api; k->api_version; k++)
		if (strcmp(k->api_version, api_version) == 0 &&
		    strcmp(k->kind, kind) == 0)
			return k;
	return NULL;
}
