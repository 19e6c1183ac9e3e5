/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "abi.h"
#include "filter.h"

int abi_copy(void *dst, size_t dst_size, const void *src)
{
	const unsigned char *in = src;
	size_t size;

	memcpy(&size, src, sizeof(size));
	if (size < sizeof(size_t))
		return -EINVAL;
	for (size_t i = dst_size; i < size; i++)
		if (in[i])
			return -E2BIG;
	memset(dst, 0, dst_size);
	memcpy(dst, src, size < dst_size ? size : dst_size);
	memcpy(dst, &dst_size, sizeof(dst_size));
	return 0;
}

int abi_filter(struct whosock_filter *dst, const struct whosock_filter *src)
{
	if (!src) {
		*dst = (struct whosock_filter)WHOSOCK_FILTER_INIT;
		return 0;
	}
	return abi_copy(dst, sizeof(*dst), src);
}

int abi_request(struct request *dst, const struct whosock_options *opt)
{
	struct whosock_options o = WHOSOCK_OPTIONS_INIT;
	struct whosock_filter f;
	int r;

	if (opt) {
		r = abi_copy(&o, sizeof(o), opt);
		if (r < 0)
			return r;
	} else {
		o.want = WHOSOCK_WANT_ALL;
	}
	r = abi_filter(&f, o.filter);
	if (r < 0)
		return r;
	if (filter_has_owner_members(&f))
		o.want |= WHOSOCK_WANT_OWNERS;
	if (!f.protos)
		f.protos = WHOSOCK_PROTOS_ALL;
	*dst = (struct request){
		.proc_root = o.proc_root ? o.proc_root : "/proc",
		.source = o.source,
		.filter = f,
		.want = o.want,
		.host_only = o.host_only,
		.flags = o.flags,
		.owner_source = o.owner_source,
	};
	return 0;
}
