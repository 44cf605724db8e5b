/* cairn: command dispatch only. */
#include <stdio.h>
#include <string.h>

#include "config.h"

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	puts("cairn " PACKAGE_VERSION);
	return 0;
}
