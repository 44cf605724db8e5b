/* Admin request routing (SPEC.md §9) through the socket-free router
 * admin_route(), over a view published from a build of arbitrary YAML, so
 * that every renderer (HTML, /status JSON, Prometheus text, Graphviz dot,
 * the snapshot as JSON) sees hostile object names and error messages.
 *
 * Input: a first line "METHOD PATH[?type=T]", then the YAML file.
 * Properties beyond memory safety:
 *   - every response has a known status, a content type and a body whose
 *     length is what it says; 405 carries Allow;
 *   - JSON bodies parse; the HTML page never contains markup from the
 *     input (no "<script", since the page itself has none). */
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "config.h"
#include "fuzz.h"
#include "fuzz_ns.h"
#include "pipeline.h"
#include "report.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

static void
publish(struct admin_server *s, const char *yaml, size_t len)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct load_options lo = { 0 };
	struct pipeline *p = pipeline_new(&lo);
	struct source_files files = { 0 };
	struct source_file f = { 0 };
	struct build_result r;
	struct admin_build_info info = { 0 };
	char ns[64];

	fuzz_namespace_of(yaml, len, ns, sizeof ns);
	f.path = xasprintf("%s/fuzz.yaml", ns);
	f.ns = xstrdup(ns);
	f.data = xmemdup(yaml, len + 1);
	f.len = len;
	f.hash = hash_bytes(yaml, len);
	ARRAY_PUSH(files.files, files.n, files.cap, f);
	files.revision = xstrdup("fuzz");
	config_init_defaults(&cfg);
	translate_options_init(&to);
	pipeline_build(p, &files, &cfg, &to, &r);
	info.status = report_json(&r);
	info.snapshot = r.snapshot;
	info.dot = dag_to_dot(r.dag);
	info.revision = r.revision;
	info.source_kind = "directory";
	info.source_location = "/etc/cairn/<resources>&\"";
	info.branch = "";
	info.duration_seconds = 0.01;
	info.finished_unix = 1700000000;
	admin_server_publish(s, &info);
	json_decref(info.status);
	free((char *)info.dot);
	build_result_free(&r);
	pipeline_free(p);
	config_free(&cfg);
	source_files_free(&files);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nl = memchr(in, '\n', size);
	size_t first = nl ? (size_t)(nl - in) : size;
	char *line, *method, *path, *q, *type = NULL;
	struct admin_server *s;
	struct admin_request req;
	struct admin_response resp;
	char *yaml;
	size_t ylen;

	if (size > (128 << 10) || first > 1024)
		return 0;
	line = xstrndup(in, first);
	method = line;
	path = strchr(line, ' ');
	if (path != NULL)
		*path++ = '\0';
	else
		path = (char *)"/";
	if ((q = strchr(path, '?')) != NULL) {
		*q++ = '\0';
		if (strncmp(q, "type=", 5) == 0)
			type = q + 5;
	}
	ylen = nl ? size - first - 1 : 0;
	yaml = xmalloc(ylen + 1);
	memcpy(yaml, nl ? nl + 1 : "", ylen);
	yaml[ylen] = '\0';

	s = admin_server_new();
	admin_server_set_ready(s, true);
	if (ylen > 0)
		publish(s, yaml, ylen);
	req = (struct admin_request){ .method = method, .path = path, .type = type };
	admin_route(s, &req, &resp);

	FUZZ_CHECK(resp.status >= 200 && resp.status < 600);
	FUZZ_CHECK(resp.content_type != NULL);
	FUZZ_CHECK(resp.body != NULL);
	FUZZ_CHECK(strlen(resp.body) == resp.len);
	if (resp.status == 405)
		FUZZ_CHECK(resp.allow != NULL);
	if (strncmp(resp.content_type, "application/json", 16) == 0) {
		json_error_t jerr;
		json_t *j = json_loadb(resp.body, resp.len, 0, &jerr);

		FUZZ_CHECK(j != NULL);
		json_decref(j);
	}
	if (strncmp(resp.content_type, "text/html", 9) == 0)
		FUZZ_CHECK(strstr(resp.body, "<script") == NULL);
	admin_response_free(&resp);
	admin_server_free(s);
	free(yaml);
	free(line);
	return 0;
}
