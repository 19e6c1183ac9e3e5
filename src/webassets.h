/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock serve's page (web/), embedded at build time by web/embed.py: no
 * file is read at run time. */
#ifndef WHOSOCK_SRC_WEBASSETS_H
#define WHOSOCK_SRC_WEBASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path; /* as served: "/" for index.html */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_asset_count;

#endif
