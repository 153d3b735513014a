/* Placeholder until this room's entry point lands. */
#include <stdio.h>

#include "../tools/sqlpilot.h"

int
sqlpilot_eval_main(int argc, char **argv)
{
	fprintf(stderr, "sqlpilot %s: not built yet\n", argv[0]);
	return 2;
}
