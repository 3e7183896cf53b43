/* A stand-alone "baocaoctl xlsx" for the tests, so they need no configuration or database. */
#include "ctl/ctl.h"

/* Runs ctl_xlsx() with this program's arguments: xlsx_dump dump FILE. */
int main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	argv[0] = (char *)"xlsx";
	return ctl_xlsx(&ctl, argc, argv);
}
