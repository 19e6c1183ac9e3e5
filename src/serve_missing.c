/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock serve in a build without libmicrohttpd (Meson feature serve). */
#include <stdlib.h>

#include "serve.h"

int serve_main(const struct cli *cli, void (*message)(const char *, const char *))
{
	(void)cli;
	message("", "this whosock was built without 'serve' (it needs libmicrohttpd, libyaml "
		"and libcrypt: meson setup -Dserve=enabled)");
	return EXIT_TROUBLE;
}
