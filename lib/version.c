/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's version at run time, for callers built against older headers. */
#include "whosock/whosock.h"

const char *whosock_version(void)
{
	return WHOSOCK_VERSION;
}

unsigned whosock_version_number(void)
{
	return WHOSOCK_VERSION_NUMBER;
}
