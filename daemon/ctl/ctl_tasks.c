/* baocaoctl import tasks, import aliases, tasks: the task catalogue (being written). */
#include "ctl.h"

#include <stdio.h>

/* Not available yet. */
int ctl_import_tasks(struct ctl *ctl, int argc, char **argv)
{
	fprintf(stderr, "error: importing tasks is not available in this build\n");
	return CTL_INTERNAL;
}

/* Not available yet. */
int ctl_import_aliases(struct ctl *ctl, int argc, char **argv)
{
	fprintf(stderr, "error: importing aliases is not available in this build\n");
	return CTL_INTERNAL;
}

/* Not available yet. */
int ctl_tasks(struct ctl *ctl, int argc, char **argv)
{
	fprintf(stderr, "error: the task list is not available in this build\n");
	return CTL_INTERNAL;
}
