/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The caller's structs as the library reads them: every public struct a
 * caller fills starts with its size, and is copied here into the library's
 * own full-size form, members the caller's headers did not have left zero. */
#ifndef WHOSOCK_ABI_H
#define WHOSOCK_ABI_H

#include <stddef.h>

#include "whosock/whosock.h"

/* Copy *src (whose first member, a size_t, gives its size) into dst of
 * dst_size bytes, zero-filling what src lacks, and set dst's size member to
 * dst_size. Returns 0; -EINVAL when src's size is smaller than a size_t
 * (never set); -E2BIG when src is larger than dst_size and sets a member
 * beyond it (from newer headers: this library cannot honour it). dst is
 * untouched on failure. */
int abi_copy(void *dst, size_t dst_size, const void *src);

/* A filter as the library reads it; src NULL: match everything. */
int abi_filter(struct whosock_filter *dst, const struct whosock_filter *src);

/* whosock_options as the library works with it: the filter held by value,
 * every default applied (proc_root "/proc", protocols all, owners wanted
 * when an owner member is set). */
struct request {
	const char *proc_root;
	enum whosock_source source;
	struct whosock_filter filter;
	unsigned want;
	bool host_only;
	unsigned flags;
	enum whosock_owner_source owner_source;
	size_t max_workers; /* internal: at most this many threads (0: as many as help) */
};

/* opt NULL: everything, WHOSOCK_WANT_ALL. Returns 0 or as abi_copy(). */
int abi_request(struct request *dst, const struct whosock_options *opt);

#endif
