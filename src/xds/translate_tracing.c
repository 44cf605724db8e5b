/* Tracing to an OpenTelemetry collector, as Contour's
 * internal/envoy/v3/tracing.go: every connection manager (ingress_http
 * and each TLS host's) gets `tracing` with Envoy's
 * envoy.tracers.opentelemetry provider calling the collector's
 * ExtensionService cluster, while that ExtensionService is valid. */
#include "xds/translate_internal.h"

#include <string.h>

#include "envoy/config/core/v3/grpc_service.pb-c.h"
#include "envoy/config/trace/v3/http_tracer.pb-c.h"
#include "envoy/config/trace/v3/opentelemetry.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/type/tracing/v3/custom_tag.pb-c.h"
#include "envoy/type/v3/percent.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager__Tracing HcmTracing;
typedef Envoy__Type__Tracing__V3__CustomTag CustomTag;

static CustomTag *
custom_tag(struct arena *a, const struct translate_custom_tag *in)
{
	CustomTag *ct = pb_new(a, &envoy__type__tracing__v3__custom_tag__descriptor);

	ct->tag = pb_str(a, in->tag);
	if (in->literal != NULL) {
		Envoy__Type__Tracing__V3__CustomTag__Literal *l = pb_new(a,
		    &envoy__type__tracing__v3__custom_tag__literal__descriptor);

		l->value = pb_str(a, in->literal);
		ct->type_case = ENVOY__TYPE__TRACING__V3__CUSTOM_TAG__TYPE_LITERAL;
		ct->literal = l;
	} else {
		Envoy__Type__Tracing__V3__CustomTag__Header *h = pb_new(a,
		    &envoy__type__tracing__v3__custom_tag__header__descriptor);

		h->name = pb_str(a, in->request_header);
		ct->type_case = ENVOY__TYPE__TRACING__V3__CUSTOM_TAG__TYPE_REQUEST_HEADER;
		ct->request_header = h;
	}
	return ct;
}

void
translate_tracing_hcm(struct translation *t, ProtobufCMessage *msg)
{
	const struct translate_options *o = t->opts;
	struct arena *a = &t->arena;
	Hcm *hcm = (Hcm *)msg;
	const struct dag_cluster *c;
	HcmTracing *tr;
	Envoy__Type__V3__Percent *pct;
	Envoy__Config__Trace__V3__Tracing__Http *http;
	Envoy__Config__Trace__V3__OpenTelemetryConfig *otel;
	Envoy__Config__Core__V3__GrpcService *gs;
	Envoy__Config__Core__V3__GrpcService__EnvoyGrpc *eg;

	if (o->tracing_cluster == NULL ||
	    (c = translation_cluster(t->dag, o->tracing_cluster)) == NULL)
		return;
	eg = pb_new(a, &envoy__config__core__v3__grpc_service__envoy_grpc__descriptor);
	eg->cluster_name = pb_str(a, c->name);
	if (c->sni != NULL)
		eg->authority = pb_str(a, c->sni);
	gs = pb_new(a, &envoy__config__core__v3__grpc_service__descriptor);
	gs->target_specifier_case =
	    ENVOY__CONFIG__CORE__V3__GRPC_SERVICE__TARGET_SPECIFIER_ENVOY_GRPC;
	gs->envoy_grpc = eg;
	if (c->ext_response_timeout_ms >= 0)
		gs->timeout = pb_duration_ms(a, c->ext_response_timeout_ms);
	otel = pb_new(a, &envoy__config__trace__v3__open_telemetry_config__descriptor);
	otel->grpc_service = gs;
	otel->service_name = pb_str(a, o->tracing_service_name);
	http = pb_new(a, &envoy__config__trace__v3__tracing__http__descriptor);
	http->name = "envoy.tracers.opentelemetry";
	http->config_type_case =
	    ENVOY__CONFIG__TRACE__V3__TRACING__HTTP__CONFIG_TYPE_TYPED_CONFIG;
	http->typed_config = pb_any(a, &otel->base);
	pct = pb_new(a, &envoy__type__v3__percent__descriptor);
	pct->value = o->tracing_overall_sampling;
	tr = pb_new(a,
	    &envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__tracing__descriptor);
	tr->overall_sampling = pct;
	tr->max_path_tag_length = pb_uint32(a, o->tracing_max_path_tag_length);
	if (o->ntracing_custom_tags > 0) {
		tr->n_custom_tags = o->ntracing_custom_tags;
		tr->custom_tags = pb_array(a, o->ntracing_custom_tags);
		for (size_t i = 0; i < o->ntracing_custom_tags; i++)
			tr->custom_tags[i] = custom_tag(a, &o->tracing_custom_tags[i]);
	}
	tr->provider = http;
	hcm->tracing = tr;
}
