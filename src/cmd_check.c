/* cairn check: every problem in a source, one per line, and a verdict. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "report.h"

static void
check_usage(FILE *fp)
{
	fprintf(fp, "usage: cairn check [-c FILE] [--source DIR] [--format text|json]\n");
}

int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "source", required_argument, NULL, 's' },
		{ "git", required_argument, NULL, 'g' },
		{ "rev", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_flags f = { .format = "text" };
	struct cairn_config cfg;
	struct build_result r;
	size_t errors;
	int c;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': f.config_path = optarg; break;
		case 's': f.source_dir = optarg; break;
		case 'g': f.git_repo = optarg; break;
		case 'r': f.rev = optarg; break;
		case 'f': f.format = optarg; break;
		case 'h': check_usage(stdout); return CMD_EXIT_OK;
		default: check_usage(stderr); return CMD_EXIT_USAGE;
		}
	}
	if (cmd_positional_source(argc, argv, optind, &f) < 0) {
		check_usage(stderr);
		return CMD_EXIT_USAGE;
	}
	if (strcmp(f.format, "text") != 0 && strcmp(f.format, "json") != 0) {
		fprintf(stderr, "cairn check: unknown --format \"%s\" (text or json)\n", f.format);
		return CMD_EXIT_USAGE;
	}
	if (cmd_load_config(&f, &cfg) < 0)
		return CMD_EXIT_USAGE;
	if (cmd_build_once(&cfg, f.rev, &r) < 0) {
		config_free(&cfg);
		return CMD_EXIT_USAGE;
	}
	if (strcmp(f.format, "json") == 0) {
		json_t *j = report_json(&r);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		report_text(stdout, &r);
	}
	errors = build_result_error_count(&r);
	build_result_free(&r);
	config_free(&cfg);
	return errors ? CMD_EXIT_PROBLEMS : CMD_EXIT_OK;
}
