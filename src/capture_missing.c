/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock capture in a build without libpcap: says so. */
#include "capture.h"

int capture_main(const struct cli *cli, void (*message)(const char *, const char *))
{
	(void)cli;
	message("", "this whosock was built without libpcap: no 'whosock capture'");
	return EXIT_TROUBLE;
}
