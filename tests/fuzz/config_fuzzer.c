/* cairn.yaml (SPEC.md §3) from arbitrary bytes. Properties:
 *   - rc 0 <=> no new errors; every error is located in the file;
 *   - a refused file changes nothing (build new, then swap);
 *   - an accepted one keeps the invariants the daemon relies on: strings
 *     never NULL, ports in range, max-delay not below debounce. */
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "util/log.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

static void
check_config(const struct cairn_config *c)
{
	FUZZ_CHECK(c->source.directory != NULL);
	FUZZ_CHECK(c->source.git.repository != NULL && c->source.git.branch != NULL);
	FUZZ_CHECK(c->source.git.path != NULL && c->source.git.remote != NULL);
	FUZZ_CHECK(c->source.max_file_bytes >= 1);
	FUZZ_CHECK(c->xds.address != NULL && c->xds.address[0] != '\0');
	FUZZ_CHECK(c->xds.tls.certificate != NULL && c->xds.tls.key != NULL &&
	    c->xds.tls.client_ca != NULL);
	FUZZ_CHECK(c->admin.address != NULL);
	FUZZ_CHECK(c->envoy.http.port >= 1 && c->envoy.http.port <= 65535);
	FUZZ_CHECK(c->envoy.https.port >= 1 && c->envoy.https.port <= 65535);
	FUZZ_CHECK(c->envoy.http.address != NULL && c->envoy.https.address != NULL);
	FUZZ_CHECK(c->envoy.ndefault_http_versions >= 1);
	FUZZ_CHECK(c->max_delay_ms >= c->debounce_ms);
	FUZZ_CHECK(c->envoy.tls.minimum_protocol_version <=
	    c->envoy.tls.maximum_protocol_version);
	for (size_t i = 0; i < c->secrets.nallowed_directories; i++)
		FUZZ_CHECK(c->secrets.allowed_directories[i][0] == '/');
	FUZZ_CHECK(config_dns_family_name(c->envoy.cluster.dns_lookup_family) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_config c;
	struct diag_list diags;
	int rc;

	if (size > (1 << 20))
		return 0;
	config_init_defaults(&c);
	diag_list_init(&diags);
	rc = config_load_buffer(&c, "cairn.yaml", (const char *)data, size, &diags);
	FUZZ_CHECK((rc == 0) == (diags.nerrors == 0));
	for (size_t i = 0; i < diags.n; i++) {
		FUZZ_CHECK(strcmp(diags.items[i].file, "cairn.yaml") == 0);
		if (diags.items[i].severity == DIAG_ERROR)
			FUZZ_CHECK(diags.items[i].line > 0);
	}
	if (rc != 0) {
		/* Untouched: still the defaults. */
		FUZZ_CHECK(c.debounce_ms == 100 && c.max_delay_ms == 1000);
		FUZZ_CHECK(strcmp(c.xds.address, "127.0.0.1:18000") == 0);
		FUZZ_CHECK(c.envoy.http.port == 8080 && c.envoy.https.port == 8443);
		FUZZ_CHECK(c.source.max_file_bytes == 4194304);
	}
	check_config(&c);
	config_free(&c);
	diag_list_free(&diags);
	return 0;
}
