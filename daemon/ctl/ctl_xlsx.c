/* baocaoctl xlsx: placeholder until the reader lands. */
#include "ctl.h"

#include <stdio.h>

/* Not available yet. */
int ctl_xlsx(struct ctl *ctl, int argc, char **argv)
{
	fprintf(stderr, "error: xlsx dump is not available in this build\n");
	return CTL_INTERNAL;
}
