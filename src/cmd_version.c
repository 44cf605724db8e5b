#include <stdio.h>

#include "autoconf.h"
#include "cmd.h"

static const struct cmd_spec version_spec = {
	.name = "version",
	.summary = "Prints the version.",
};

int
cmd_version(int argc, char **argv)
{
	struct cmd_parser parser;
	int c;

	cmd_parser_init(&parser, &version_spec);
	while ((c = cmd_parser_next(&parser, argc, argv)) != -1) {
		if (c == 'h') {
			cmd_usage(&version_spec, stdout);
			return CMD_EXIT_OK;
		}
		cmd_usage_hint(&version_spec);
		return CMD_EXIT_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, "cairn version: unexpected argument \"%s\"\n", argv[optind]);
		return CMD_EXIT_USAGE;
	}
	printf("cairn %s\n", PACKAGE_VERSION);
	return CMD_EXIT_OK;
}
