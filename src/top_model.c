/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "sbuf.h"
#include "textesc.h"
#include "top_model.h"

#define NUMS                                                                             \
	{ "SENT/s", 7, true }, { "RECV/s", 7, true }, { "SENT", 7, true }, { "RECV", 7, true }, \
		{ "CONNS", 6, true }

static const struct top_col cols_process[] = { NUMS, { "PROCESS", 19, false }, { "USER", 7, false },
					       { "NETNS", 10, false }, { "CONTAINER", 12, false } };
static const struct top_col cols_connection[] = { NUMS, { "PROTO", 5, false }, { "LOCAL", 15, false },
						  { "REMOTE", 15, false }, { "PROCESS", 16, false },
						  { "NETNS", 10, false } };
static const struct top_col cols_remote[] = { NUMS, { "PROTO", 5, false }, { "REMOTE", 30, false },
					      { "NETNS", 12, false } };
static const struct top_col cols_container[] = { NUMS, { "CONTAINER", 30, false },
						 { "NETNS", 12, false } };
static const struct top_col cols_user[] = { NUMS, { "USER", 20, false }, { "UID", 8, false } };
static const struct top_col cols_netns[] = { NUMS, { "NETNS", 30, false } };

const struct top_col *top_columns(int by, size_t *n)
{
#define COLS(a) (*n = sizeof(a) / sizeof(a[0]), a)
	switch (by) {
	case WHOSOCK_BY_CONNECTION:
		return COLS(cols_connection);
	case WHOSOCK_BY_REMOTE:
		return COLS(cols_remote);
	case WHOSOCK_BY_CONTAINER:
		return COLS(cols_container);
	case WHOSOCK_BY_USER:
		return COLS(cols_user);
	case WHOSOCK_BY_NETNS:
		return COLS(cols_netns);
	default:
		return COLS(cols_process);
	}
#undef COLS
}

void top_human(char *buf, size_t len, uint64_t bytes, bool bits)
{
	static const char units[] = "KMGTPE";
	double v = bits ? (double)bytes * 8 : (double)bytes, step = bits ? 1000 : 1024;
	int u = -1;

	while (v >= step * 0.995 && u < 5) {
		v /= step;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, v < 9.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* b's text as a string of its own (NULL when out of memory). */
static char *take(struct sbuf *b)
{
	sbuf_putc(b, '\0');
	if (b->failed) {
		sbuf_free(b);
		return NULL;
	}
	return b->data;
}

/* A copy of the escaped text (NULL when s is NULL). */
static char *esc_dup(const char *s)
{
	struct sbuf b = { 0 };

	if (!s)
		return NULL;
	esc_term(&b, s, strlen(s));
	return take(&b);
}

static char *process_text(const struct whosock_process *p)
{
	struct sbuf b = { 0 };

	if (!p)
		return esc_dup("(unknown)");
	esc_term(&b, p->comm, strlen(p->comm));
	sbuf_putc(&b, '(');
	sbuf_u64(&b, (uint64_t)p->pid);
	sbuf_putc(&b, ')');
	return take(&b);
}

static char *netns_text(const struct whosock_meter_row *r)
{
	char num[24];

	if (r->netns_name)
		return esc_dup(r->netns_name);
	if (!r->netns)
		return esc_dup("(several)");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->netns);
	return esc_dup(num);
}

static char *container_text(const struct whosock_container *c, bool host)
{
	char buf[80];

	if (!c || !c->id)
		return esc_dup(host ? "(host)" : "-");
	/* A 64-hex id shows its first 12, as docker does. */
	snprintf(buf, sizeof(buf), "%s:%.12s", c->runtime ? c->runtime : "?", c->id);
	return esc_dup(buf);
}

static char *endpoint_text(const struct whosock_socket *s, const struct whosock_endpoint *ep)
{
	struct sbuf b = { 0 };

	output_endpoint(&b, s, ep, NULL);
	return take(&b);
}

static char *remote_text(const struct whosock_meter_row *r)
{
	struct whosock_socket s = { .family = r->family, .proto = r->proto, .remote = r->remote };

	return endpoint_text(&s, &s.remote);
}

static void fill_text(struct top_vrow *v, const struct whosock_meter_row *r)
{
	const struct whosock_process *p = r->process;
	char uid[16];

	switch (r->by) {
	case WHOSOCK_BY_PROCESS:
		v->text[5] = process_text(p);
		v->text[6] = esc_dup(p ? p->user : NULL);
		v->text[7] = netns_text(r);
		v->text[8] = container_text(p ? &p->container : NULL, p != NULL);
		break;
	case WHOSOCK_BY_CONNECTION:
		v->text[5] = esc_dup(output_proto_label(r->socket));
		v->text[6] = endpoint_text(r->socket, &r->socket->local);
		v->text[7] = endpoint_text(r->socket, &r->socket->remote);
		v->text[8] = process_text(p);
		v->text[9] = netns_text(r);
		break;
	case WHOSOCK_BY_REMOTE:
		v->text[5] = esc_dup(whosock_proto_name((enum whosock_proto)r->proto));
		v->text[6] = remote_text(r);
		v->text[7] = netns_text(r);
		break;
	case WHOSOCK_BY_CONTAINER:
		v->text[5] = container_text(r->container, r->process != NULL);
		v->text[6] = netns_text(r);
		break;
	case WHOSOCK_BY_USER:
		v->text[5] = esc_dup(r->user ? r->user : r->uid_known ? "" : "(unknown)");
		snprintf(uid, sizeof(uid), "%u", r->uid);
		v->text[6] = esc_dup(r->uid_known ? uid : "-");
		break;
	default:
		v->text[5] = netns_text(r);
		break;
	}
}

int top_model_build(struct top_model *model, const struct whosock_meter *m, int by, int only_pid)
{
	const struct whosock_meter_row *r;
	struct top_model out = { .by = by };
	struct timespec ts;
	size_t n = whosock_meter_row_count(m, (enum whosock_meter_by)by), k = 0;

	out.cols = top_columns(by, &out.n_cols);
	whosock_meter_interval(m, &ts, &out.interval_ms);
	if (!out.interval_ms)
		out.interval_ms = 1;
	out.rows = calloc(n ? n : 1, sizeof(*out.rows));
	if (!out.rows)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct top_vrow *v = &out.rows[k];

		r = whosock_meter_row(m, (enum whosock_meter_by)by, i);
		if (only_pid && (!r->process || r->process->pid != only_pid))
			continue;
		v->num[0] = r->sent_bytes * 1000 / out.interval_ms;
		v->num[1] = r->received_bytes * 1000 / out.interval_ms;
		v->num[2] = r->sent_total;
		v->num[3] = r->received_total;
		v->num[4] = r->connections;
		v->pid = r->process ? r->process->pid : 0;
		v->order = i;
		fill_text(v, r);
		k++;
	}
	out.n_rows = k;
	/* Every socket counts once in the namespace view. */
	for (size_t i = 0; i < whosock_meter_row_count(m, WHOSOCK_BY_NETNS); i++) {
		r = whosock_meter_row(m, WHOSOCK_BY_NETNS, i);
		out.sent_rate += r->sent_bytes * 1000 / out.interval_ms;
		out.received_rate += r->received_bytes * 1000 / out.interval_ms;
		out.sockets += r->connections;
	}
	top_model_free(model);
	*model = out;
	return 0;
}

static size_t sort_col;
static bool sort_reverse;

static int cmp_vrow(const void *a, const void *b)
{
	const struct top_vrow *x = a, *y = b;
	int c = 0;

	if (sort_col < TOP_NUM_COLS) {
		if (x->num[sort_col] != y->num[sort_col])
			c = x->num[sort_col] < y->num[sort_col] ? 1 : -1;
	} else {
		c = strcmp(x->text[sort_col] ? x->text[sort_col] : "",
			   y->text[sort_col] ? y->text[sort_col] : "");
	}
	if (sort_reverse)
		c = -c;
	if (c == 0)
		c = (x->order > y->order) - (x->order < y->order);
	return c;
}

void top_model_sort(struct top_model *model, size_t col, bool reverse)
{
	/* qsort has no context argument: the key is set for this call only. */
	sort_col = col < model->n_cols ? col : 0;
	sort_reverse = reverse;
	if (model->n_rows)
		qsort(model->rows, model->n_rows, sizeof(*model->rows), cmp_vrow);
}

void top_model_free(struct top_model *model)
{
	for (size_t i = 0; i < model->n_rows; i++)
		for (size_t k = 0; k < TOP_MAX_COLS; k++)
			free(model->rows[i].text[k]);
	free(model->rows);
	model->rows = NULL;
	model->n_rows = 0;
}
