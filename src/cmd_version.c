#include <stdio.h>

#include "autoconf.h"
#include "cmd.h"

int
cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cairn %s\n", PACKAGE_VERSION);
	return CMD_EXIT_OK;
}
