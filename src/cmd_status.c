/* cairn status: what a running daemon says about itself, read from its
 * admin endpoint's /status. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd.h"
#include "util/addr.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define STATUS_TIMEOUT_MS 5000
#define STATUS_MAX_BYTES (64 << 20)

/* status's flags: the parser and --help (see struct cmd_flag in cmd.h). */
static const struct cmd_flag status_flags[] = {
	{ "config", 'c', 'c', "FILE", "/etc/cairn/cairn.yaml if it exists, else built-in defaults",
	  "cairn.yaml to read admin.address from" },
	{ "admin", 'a', 0, "ADDR", "admin.address, 127.0.0.1:9090",
	  "the running daemon's admin endpoint, HOST:PORT" },
	{ "format", 'f', 0, "text|json", "text", "a summary, or the daemon's /status document" },
};

static const struct cmd_spec status_spec = {
	.name = "status",
	.summary = "Shows what a running daemon serves: revision, problems, connected Envoys.",
	.flags = status_flags,
	.nflags = sizeof status_flags / sizeof status_flags[0],
};

/* One HTTP/1.0 GET to our own admin endpoint on loopback. The reply is
 * "HTTP/1.x CODE ...", headers, a blank line and the body until the server
 * closes: nothing here needs a general HTTP client. */
static int
http_get(const char *addr, const char *path, struct strbuf *body, char **err)
{
	struct listen_addr la;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *why, *sep;
	struct strbuf resp = STRBUF_INIT;
	char buf[8192], *req;
	int fd, code = 0;

	if (listen_addr_parse(addr, &la, &why) < 0 || la.is_unix ||
	    listen_addr_sockaddr(&la, &ss, &sslen) < 0) {
		*err = xasprintf("admin address \"%s\": %s", addr, la.is_unix ?
		    "must be an IP address and port" : why);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sslen) < 0) {
		*err = xasprintf("cannot connect to the admin endpoint %s: %s (is cairn serve running with --admin %s?)",
		    addr, strerror(errno), addr);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	req = xasprintf("GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path, addr);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		*err = xasprintf("sending to %s: %s", addr, strerror(errno));
		free(req);
		close(fd);
		return -1;
	}
	free(req);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, STATUS_TIMEOUT_MS) <= 0) {
			*err = xasprintf("no answer from %s within %d ms", addr, STATUS_TIMEOUT_MS);
			break;
		}
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		strbuf_add(&resp, buf, (size_t)n);
		if (resp.len > STATUS_MAX_BYTES) {
			*err = xasprintf("answer from %s is too large", addr);
			break;
		}
	}
	close(fd);
	if (*err == NULL && (resp.len < 12 || sscanf(resp.buf, "HTTP/1.%*d %d", &code) != 1))
		*err = xasprintf("%s did not answer in HTTP", addr);
	if (*err == NULL && (sep = strstr(resp.buf, "\r\n\r\n")) != NULL)
		strbuf_add(body, sep + 4, resp.len - (size_t)(sep + 4 - resp.buf));
	strbuf_free(&resp);
	return *err ? -1 : code;
}

static const char *
str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static void
gw_conditions_text(json_t *conds)
{
	json_t *c;
	size_t i;

	json_array_foreach(conds, i, c)
		printf("%s%s=%s (%s)", i ? ", " : "", str_or(c, "type", ""),
		    str_or(c, "status", ""), str_or(c, "reason", ""));
}

/* A Gateway API object's status in the API's shape, one line per object,
 * listener and parent, as `cairn check` prints it (report.c). */
static void
gw_object_text(json_t *v)
{
	json_t *o = json_object_get(v, "origin"), *x;
	const char *ns = str_or(v, "namespace", "");
	size_t i;
	char *where = xasprintf("%s:%lld:%lld: status: %s %s%s%s",
	    str_or(o, "file", ""), json_integer_value(json_object_get(o, "line")),
	    json_integer_value(json_object_get(o, "column")), str_or(v, "kind", ""),
	    ns, *ns ? "/" : "", str_or(v, "name", ""));

	if (json_array_size(json_object_get(v, "conditions")) > 0) {
		printf("%s: ", where);
		gw_conditions_text(json_object_get(v, "conditions"));
		printf("\n");
	}
	json_array_foreach(json_object_get(v, "listeners"), i, x) {
		printf("%s: listener %s: attachedRoutes=%lld, ", where,
		    str_or(x, "name", ""),
		    json_integer_value(json_object_get(x, "attachedRoutes")));
		gw_conditions_text(json_object_get(x, "conditions"));
		printf("\n");
	}
	json_array_foreach(json_object_get(v, "parents"), i, x) {
		json_t *ref = json_object_get(x, "parentRef");

		printf("%s: parent %s %s/%s", where, str_or(ref, "kind", ""),
		    str_or(ref, "namespace", ""), str_or(ref, "name", ""));
		if (json_object_get(ref, "sectionName") != NULL)
			printf(" sectionName=%s", str_or(ref, "sectionName", ""));
		if (json_object_get(ref, "port") != NULL)
			printf(" port=%lld", json_integer_value(json_object_get(ref,
			    "port")));
		printf(": ");
		gw_conditions_text(json_object_get(x, "conditions"));
		printf("\n");
	}
	free(where);
}

static void
status_text(json_t *st)
{
	json_t *src = json_object_get(st, "source");
	json_t *sum = json_object_get(st, "summary");
	json_t *problems = json_object_get(st, "problems");
	json_t *objects = json_object_get(st, "objects");
	json_t *nodes = json_object_get(st, "nodes");
	json_t *v;
	size_t i;

	printf("cairn %s: %s\n", str_or(st, "version", "?"),
	    json_is_true(json_object_get(st, "ready")) ? "ready" : "not ready");
	if (json_is_object(src)) {
		printf("source: %s %s%s%s, revision %s", str_or(src, "kind", ""),
		    str_or(src, "location", ""), str_or(src, "branch", "")[0] ? " branch " : "",
		    str_or(src, "branch", ""), str_or(src, "revision", ""));
		if (str_or(src, "subject", "")[0])
			printf(" (%s)", str_or(src, "subject", ""));
		printf("\n");
	}
	if (json_is_object(sum))
		printf("objects: %lld, %lld valid, %lld invalid, %lld orphaned\n",
		    json_integer_value(json_object_get(sum, "objects")),
		    json_integer_value(json_object_get(sum, "valid")),
		    json_integer_value(json_object_get(sum, "invalid")),
		    json_integer_value(json_object_get(sum, "orphaned")));
	json_array_foreach(problems, i, v) {
		/* A problem of no file (a whole git commit) has no place. */
		if (str_or(v, "file", "")[0] == '\0') {
			printf("%s: %s\n", str_or(v, "severity", "error"),
			    str_or(v, "message", ""));
			continue;
		}
		printf("%s:%lld:%lld: %s: %s\n", str_or(v, "file", ""),
		    json_integer_value(json_object_get(v, "line")),
		    json_integer_value(json_object_get(v, "column")),
		    str_or(v, "severity", "error"), str_or(v, "message", ""));
	}
	json_array_foreach(objects, i, v) {
		json_t *c;
		size_t j;

		/* Gateway API objects keep cairn's located conditions under
		 * "problems" ("conditions" is the API's status). */
		json_t *located = json_object_get(v, "problems") ?
		    json_object_get(v, "problems") :
		    json_object_get(v, "conditions");

		if (strcmp(str_or(v, "status", "valid"), "valid") == 0)
			continue;
		json_array_foreach(located, j, c) {
			json_t *o = json_object_get(c, "origin");

			printf("%s:%lld:%lld: %s: %s %s/%s: %s (%s)\n", str_or(o, "file", ""),
			    json_integer_value(json_object_get(o, "line")),
			    json_integer_value(json_object_get(o, "column")),
			    str_or(v, "status", ""), str_or(v, "kind", ""),
			    str_or(v, "namespace", ""), str_or(v, "name", ""),
			    str_or(c, "message", ""), str_or(c, "reason", ""));
		}
	}
	json_array_foreach(objects, i, v)
		if (json_object_get(v, "problems") != NULL)
			gw_object_text(v);
	json_array_foreach(json_object_get(st, "files"), i, v) {
		const char *state = str_or(v, "state", "ok");

		if (strcmp(state, "ok") == 0)
			continue;
		if (strcmp(state, "error-serving-persisted") == 0)
			printf("%s: served from its last good copy in the state directory "
			    "(content %s), persisted before the restart\n",
			    str_or(v, "path", ""), str_or(v, "serving", ""));
		else if (strcmp(state, "error-serving-previous") == 0)
			printf("%s: in error, its last good version (content %s) serving\n",
			    str_or(v, "path", ""), str_or(v, "serving", ""));
		else
			printf("%s: in error, nothing of it served\n", str_or(v, "path", ""));
	}
	printf("connected: %zu\n", json_array_size(nodes));
	json_array_foreach(nodes, i, v) {
		json_t *types = json_object_get(v, "types"), *t;
		const char *type;

		printf("  %s (%s, %s)\n", str_or(v, "node_id", "?"), str_or(v, "cluster", ""),
		    str_or(v, "protocol", ""));
		json_object_foreach(types, type, t) {
			json_t *nack = json_object_get(t, "last_nack");

			printf("    %s acked %s", type, str_or(t, "acked_version", "-"));
			if (json_is_object(nack))
				printf(", last NACK of %s: %s", str_or(nack, "version", "?"),
				    str_or(nack, "message", ""));
			printf("\n");
		}
	}
}

int
cmd_status(int argc, char **argv)
{
	struct cmd_parser parser;
	struct cmd_flags f = { .format = "text" };
	struct cairn_config cfg;
	struct strbuf body = STRBUF_INIT;
	json_error_t jerr;
	json_t *st;
	char *err = NULL;
	int c, code, rc;

	cmd_parser_init(&parser, &status_spec);
	while ((c = cmd_parser_next(&parser, argc, argv)) != -1) {
		switch (c) {
		case 'c': f.config_path = optarg; break;
		case 'a': f.admin_addr = optarg; break;
		case 'f': f.format = optarg; break;
		case 'h': cmd_usage(&status_spec, stdout); return CMD_EXIT_OK;
		default: cmd_usage_hint(&status_spec); return CMD_EXIT_USAGE;
		}
	}
	if (optind != argc || (strcmp(f.format, "text") != 0 && strcmp(f.format, "json") != 0)) {
		cmd_usage_hint(&status_spec);
		return CMD_EXIT_USAGE;
	}
	if (cmd_load_config(&f, &cfg) < 0)
		return CMD_EXIT_USAGE;
	if (cfg.admin.address[0] == '\0') {
		fprintf(stderr, "cairn status: the admin endpoint is disabled (admin.address is \"\")\n");
		config_free(&cfg);
		return CMD_EXIT_USAGE;
	}
	code = http_get(cfg.admin.address, "/status", &body, &err);
	config_free(&cfg);
	if (code < 0) {
		fprintf(stderr, "cairn status: %s\n", err);
		free(err);
		strbuf_free(&body);
		return CMD_EXIT_USAGE;
	}
	st = json_loadb(body.buf ? body.buf : "", body.len, 0, &jerr);
	strbuf_free(&body);
	if (code != 200 || st == NULL) {
		fprintf(stderr, "cairn status: unexpected answer (HTTP %d)%s%s\n", code,
		    st ? "" : ": ", st ? "" : jerr.text);
		json_decref(st);
		return CMD_EXIT_USAGE;
	}
	if (strcmp(f.format, "json") == 0) {
		json_dumpf(st, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		status_text(st);
	}
	/* Exit 1 when the daemon reports errors in its input, as check does
	 * (the status itself was read fine). */
	rc = json_integer_value(json_object_get(json_object_get(st, "summary"),
	    "errors")) > 0 ? CMD_EXIT_PROBLEMS : CMD_EXIT_OK;
	json_decref(st);
	if (fflush(stdout) != 0)
		return CMD_EXIT_USAGE;
	return rc;
}

int
cmd_admin_get(const char *addr, const char *path, struct strbuf *body,
    char **err)
{
	return http_get(addr, path, body, err);
}
