/* Envoy access log command operators and Contour's JSON field names
 * (its accesslog-format-string and json-fields settings). */
#include "accesslog.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Operators without arguments. */
static const char *const simple_operators[] = {
	"BYTES_RECEIVED", "BYTES_SENT", "CONNECTION_ID",
	"CONNECTION_TERMINATION_DETAILS", "DOWNSTREAM_DIRECT_REMOTE_ADDRESS",
	"DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT",
	"DOWNSTREAM_DIRECT_REMOTE_PORT", "DOWNSTREAM_HEADER_BYTES_RECEIVED",
	"DOWNSTREAM_HEADER_BYTES_SENT", "DOWNSTREAM_LOCAL_ADDRESS",
	"DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT", "DOWNSTREAM_LOCAL_PORT",
	"DOWNSTREAM_LOCAL_SUBJECT", "DOWNSTREAM_LOCAL_URI_SAN",
	"DOWNSTREAM_PEER_CERT", "DOWNSTREAM_PEER_CERT_V_END",
	"DOWNSTREAM_PEER_CERT_V_START", "DOWNSTREAM_PEER_FINGERPRINT_1",
	"DOWNSTREAM_PEER_FINGERPRINT_256", "DOWNSTREAM_PEER_ISSUER",
	"DOWNSTREAM_PEER_SERIAL", "DOWNSTREAM_PEER_SUBJECT",
	"DOWNSTREAM_PEER_URI_SAN", "DOWNSTREAM_REMOTE_ADDRESS",
	"DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", "DOWNSTREAM_REMOTE_PORT",
	"DOWNSTREAM_TLS_CIPHER", "DOWNSTREAM_TLS_SESSION_ID",
	"DOWNSTREAM_TLS_VERSION", "DOWNSTREAM_WIRE_BYTES_RECEIVED",
	"DOWNSTREAM_WIRE_BYTES_SENT", "DURATION", "FILTER_CHAIN_NAME",
	"GRPC_STATUS", "GRPC_STATUS_NUMBER", "HOSTNAME", "LOCAL_REPLY_BODY",
	"PROTOCOL", "REQUEST_DURATION", "REQUEST_HEADERS_BYTES",
	"REQUEST_TX_DURATION", "REQUESTED_SERVER_NAME", "RESPONSE_CODE",
	"RESPONSE_CODE_DETAILS", "RESPONSE_DURATION", "RESPONSE_FLAGS",
	"RESPONSE_HEADERS_BYTES", "RESPONSE_TRAILERS_BYTES",
	"RESPONSE_TX_DURATION", "ROUTE_NAME", "START_TIME", "UPSTREAM_CLUSTER",
	"UPSTREAM_HEADER_BYTES_RECEIVED", "UPSTREAM_HEADER_BYTES_SENT",
	"UPSTREAM_HOST", "UPSTREAM_LOCAL_ADDRESS",
	"UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT", "UPSTREAM_LOCAL_PORT",
	"UPSTREAM_REMOTE_ADDRESS", "UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
	"UPSTREAM_REMOTE_PORT", "UPSTREAM_REQUEST_ATTEMPT_COUNT",
	"UPSTREAM_TRANSPORT_FAILURE_REASON", "UPSTREAM_WIRE_BYTES_RECEIVED",
	"UPSTREAM_WIRE_BYTES_SENT", "VIRTUAL_CLUSTER_NAME",
};

/* Operators that take an argument: %REQ(X-FOO)%, %START_TIME(%s)%.
 * REQ_WITHOUT_QUERY is left out: it needs a formatter extension cairn
 * does not configure. */
static const char *const complex_operators[] = {
	"ENVIRONMENT", "REQ", "RESP", "START_TIME", "TRAILER",
};

/* JSON field names with a meaning of their own (Contour's jsonFields). */
static const struct {
	const char *name, *value;
} json_names[] = {
	{ "@timestamp", "%START_TIME%" },
	{ "ts", "%START_TIME%" },
	{ "authority", "%REQ(:AUTHORITY)%" },
	{ "method", "%REQ(:METHOD)%" },
	{ "path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%" },
	{ "request_id", "%REQ(X-REQUEST-ID)%" },
	{ "uber_trace_id", "%REQ(UBER-TRACE-ID)%" },
	{ "upstream_service_time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%" },
	{ "user_agent", "%REQ(USER-AGENT)%" },
	{ "x_forwarded_for", "%REQ(X-FORWARDED-FOR)%" },
	{ "x_trace_id", "%REQ(X-TRACE-ID)%" },
};

const char *const accesslog_default_json_fields[] = {
	"@timestamp", "authority", "bytes_received", "bytes_sent",
	"downstream_local_address", "downstream_remote_address", "duration",
	"method", "path", "protocol", "request_id", "requested_server_name",
	"response_code", "response_flags", "uber_trace_id", "upstream_cluster",
	"upstream_host", "upstream_local_address", "upstream_service_time",
	"user_agent", "x_forwarded_for", "grpc_status",
};
const size_t accesslog_ndefault_json_fields =
    sizeof accesslog_default_json_fields / sizeof accesslog_default_json_fields[0];

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static bool
listed(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncmp(list[i], s, len) == 0)
			return true;
	return false;
}

const char *
accesslog_check_format(const char *s)
{
	static char why[160];

	for (const char *p = s; *p; p++) {
		const char *name;
		size_t len;
		bool args = false;

		if (*p != '%')
			continue;
		name = ++p;
		while (isupper((unsigned char)*p) || isdigit((unsigned char)*p) ||
		    *p == '_')
			p++;
		len = (size_t)(p - name);
		if (len == 0)
			return "a '%' must start an Envoy command operator such as "
			    "%RESPONSE_CODE% or %REQ(X-FOO)%";
		if (*p == '(') {
			args = true;
			p = strchr(p, ')');
			if (p == NULL || p[-1] == '(')
				return "an operator's argument needs a closing ')'";
			p++;
			if (*p == ':') {
				const char *digits = ++p;

				while (isdigit((unsigned char)*p))
					p++;
				if (p == digits)
					return "a ':' after an operator's argument must "
					    "give a length";
			}
		}
		if (*p != '%') {
			snprintf(why, sizeof why, "operator %%%.*s... is not closed "
			    "by a '%%'", (int)len, name);
			return why;
		}
		if (args ? !listed(complex_operators, NITEMS(complex_operators),
		    name, len) : !listed(simple_operators, NITEMS(simple_operators),
		    name, len)) {
			snprintf(why, sizeof why, "%%%.*s%s%% is not an Envoy command "
			    "operator Contour accepts", (int)len, name, args ? "(...)" :
			    "");
			return why;
		}
	}
	return NULL;
}

/* The operator a bare field name stands for, or NULL. */
static const char *
json_name_value(const char *name)
{
	static char op[80];
	size_t len = strlen(name);

	for (size_t i = 0; i < NITEMS(json_names); i++)
		if (strcmp(json_names[i].name, name) == 0)
			return json_names[i].value;
	if (len + 3 > sizeof op)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) && name[i] != '_')
			return NULL;
		op[i + 1] = (char)toupper((unsigned char)name[i]);
	}
	if (!listed(simple_operators, NITEMS(simple_operators), op + 1, len))
		return NULL;
	op[0] = '%';
	op[len + 1] = '%';
	op[len + 2] = '\0';
	return op;
}

const char *
accesslog_check_json_field(const char *s)
{
	const char *eq = strchr(s, '=');

	if (eq == s)
		return "a JSON field needs a name before '='";
	if (eq != NULL)
		return accesslog_check_format(eq + 1);
	if (json_name_value(s) == NULL)
		return "not a JSON field Contour knows (e.g. @timestamp, method, "
		    "path, response_code, or an Envoy operator in lower case); "
		    "write \"name=%OPERATOR%\" for anything else";
	return NULL;
}

void
accesslog_json_field(const char *s, char *key, size_t size, const char **value)
{
	const char *eq = strchr(s, '=');
	size_t len = eq ? (size_t)(eq - s) : strlen(s);

	if (len >= size)
		len = size - 1;
	memcpy(key, s, len);
	key[len] = '\0';
	*value = eq ? eq + 1 : json_name_value(s);
}
