/* cairn: command dispatch only. */
#include <stdio.h>
#include <string.h>

#include "autoconf.h"
#include "cmd.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "serve", cmd_serve, "watch a directory and serve it to Envoy over ADS" },
	{ "check", cmd_check, "validate a source and print every problem" },
	{ "dump", cmd_dump, "print the resources serve would send" },
	{ "bootstrap", cmd_bootstrap, "write an Envoy bootstrap that points Envoy at cairn" },
	{ "diff", cmd_diff, "show what a change does to what Envoy receives" },
	{ "status", cmd_status, "show what a running daemon serves, with problems and Envoys" },
	{ "version", cmd_version, "print the version" },
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: cairn COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\nRun 'cairn COMMAND --help' for the options of a command.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CMD_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "cairn: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return CMD_EXIT_USAGE;
}
