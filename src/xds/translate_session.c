/* Gateway API's sessionPersistence as Envoy's stateful_session filter
 * (envoy.filters.http.stateful_session), the way Envoy Gateway sends it:
 * on a Gateway port whose routes use it, the connection manager gets the
 * filter disabled and without a session state, and each such route turns
 * it on with its own StatefulSessionPerRoute (a cookie or a header). */
#include "xds/translate_internal.h"

#include "envoy/extensions/filters/http/stateful_session/v3/stateful_session.pb-c.h"
#include "envoy/extensions/http/stateful_session/cookie/v3/cookie.pb-c.h"
#include "envoy/extensions/http/stateful_session/header/v3/header.pb-c.h"
#include "envoy/type/http/v3/cookie.pb-c.h"

/* An HTTPS port's chains serve the port's hosts: one walk covers both. */
bool
translate_session_port(const struct dag_gw_port *gp)
{
	for (size_t v = 0; v < gp->nvhosts; v++)
		for (size_t r = 0; r < gp->vhosts[v].nroutes; r++)
			if (dag_route_rare(&gp->vhosts[v].routes[r])->session != NULL)
				return true;
	return false;
}

ProtobufCMessage *
translate_session_filter(struct arena *a)
{
	Envoy__Extensions__Filters__Http__StatefulSession__V3__StatefulSession *ss =
	    pb_new(a,
	    &envoy__extensions__filters__http__stateful_session__v3__stateful_session__descriptor);

	return &ss->base;
}

ProtobufCMessage *
translate_session_route(struct arena *a, const struct dag_session *s)
{
	Envoy__Extensions__Filters__Http__StatefulSession__V3__StatefulSessionPerRoute *pr =
	    pb_new(a,
	    &envoy__extensions__filters__http__stateful_session__v3__stateful_session_per_route__descriptor);
	Envoy__Extensions__Filters__Http__StatefulSession__V3__StatefulSession *ss =
	    pb_new(a,
	    &envoy__extensions__filters__http__stateful_session__v3__stateful_session__descriptor);
	Envoy__Config__Core__V3__TypedExtensionConfig *state = pb_new(a,
	    &envoy__config__core__v3__typed_extension_config__descriptor);

	if (s->header) {
		Envoy__Extensions__Http__StatefulSession__Header__V3__HeaderBasedSessionState *h =
		    pb_new(a,
		    &envoy__extensions__http__stateful_session__header__v3__header_based_session_state__descriptor);

		h->name = pb_borrow(s->name);
		state->name = "envoy.http.stateful_session.header";
		state->typed_config = pb_any(a, &h->base);
	} else {
		Envoy__Extensions__Http__StatefulSession__Cookie__V3__CookieBasedSessionState *c =
		    pb_new(a,
		    &envoy__extensions__http__stateful_session__cookie__v3__cookie_based_session_state__descriptor);
		Envoy__Type__Http__V3__Cookie *ck = pb_new(a,
		    &envoy__type__http__v3__cookie__descriptor);

		ck->name = pb_borrow(s->name);
		ck->path = pb_borrow(s->path);
		if (s->ttl_ms >= 0)
			ck->ttl = pb_duration_ms(a, s->ttl_ms);
		c->cookie = ck;
		state->name = "envoy.http.stateful_session.cookie";
		state->typed_config = pb_any(a, &c->base);
	}
	ss->session_state = state;
	pr->override_case =
	    ENVOY__EXTENSIONS__FILTERS__HTTP__STATEFUL_SESSION__V3__STATEFUL_SESSION_PER_ROUTE__OVERRIDE_STATEFUL_SESSION;
	pr->stateful_session = ss;
	return &pr->base;
}
