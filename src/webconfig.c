/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "webconfig.h"

/* Files larger than this are not a web config or a PEM file. */
#define FILE_MAX (1u << 20)

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

/* The whole of path, NUL-terminated, at most FILE_MAX bytes. */
static int read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char *buf = NULL;
	size_t n = 0;
	int r = 0;

	if (fd < 0)
		return -errno;
	buf = malloc(FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t got = read(fd, buf + n, FILE_MAX + 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = errno ? -errno : -EIO;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > FILE_MAX) {
			r = -EFBIG;
			break;
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* name relative to base (unless absolute), read whole. */
static int read_relative(const char *base, const char *name, char **out, char *err,
			 size_t errlen)
{
	char path[PATH_MAX];
	size_t len = 0;
	int r;

	*out = NULL;
	if (name[0] == '/' || !base || !*base)
		r = snprintf(path, sizeof(path), "%s", name);
	else
		r = snprintf(path, sizeof(path), "%s/%s", base, name);
	if (r < 0 || (size_t)r >= sizeof(path))
		return fail(err, errlen, -ENAMETOOLONG, "file name too long: %.80s", name);
	r = read_file(path, out, &len);
	if (r < 0)
		return fail(err, errlen, r, "cannot read %.200s: %s", path, strerror(-r));
	if (!*out || strlen(*out) != len) {
		free(*out);
		*out = NULL;
		return fail(err, errlen, -EINVAL, "%.200s holds a NUL byte: not PEM", path);
	}
	return 0;
}

static const char *scalar(yaml_document_t *doc, yaml_node_t *n)
{
	(void)doc;
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int tls_section(yaml_document_t *doc, yaml_node_t *map, const char *base,
		       struct webconfig *cfg, char *err, size_t errlen)
{
	const char *cert = NULL, *key = NULL;
	int r;

	if (cfg->cert)
		return fail(err, errlen, -EINVAL, "tls_server_config given twice");
	if (map->type != YAML_MAPPING_NODE)
		return fail(err, errlen, -EINVAL, "tls_server_config must be a mapping");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
		const char *v = scalar(doc, yaml_document_get_node(doc, p->value));

		if (!k || !v)
			return fail(err, errlen, -EINVAL, "tls_server_config: keys and values are "
				    "text");
		if (strcmp(k, "cert_file") == 0)
			cert = v;
		else if (strcmp(k, "key_file") == 0)
			key = v;
		else
			return fail(err, errlen, -EOPNOTSUPP, "tls_server_config: '%.60s' is not "
				    "supported by whosock (cert_file and key_file are)", k);
	}
	if (!cert || !key || !*cert || !*key)
		return fail(err, errlen, -EINVAL, "tls_server_config needs cert_file and key_file");
	r = read_relative(base, cert, &cfg->cert, err, errlen);
	if (r == 0)
		r = read_relative(base, key, &cfg->key, err, errlen);
	return r;
}

static int users_section(yaml_document_t *doc, yaml_node_t *map, struct webconfig *cfg,
			 char *err, size_t errlen)
{
	size_t n;

	if (cfg->users)
		return fail(err, errlen, -EINVAL, "basic_auth_users given twice");
	if (map->type != YAML_MAPPING_NODE)
		return fail(err, errlen, -EINVAL, "basic_auth_users must be a mapping");
	n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	cfg->users = calloc(n + 1, sizeof(char *));
	cfg->hashes = calloc(n + 1, sizeof(char *));
	if (!cfg->users || !cfg->hashes)
		return fail(err, errlen, -ENOMEM, "out of memory");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
		const char *v = scalar(doc, yaml_document_get_node(doc, p->value));

		if (!k || !v || !*k)
			return fail(err, errlen, -EINVAL, "basic_auth_users: user names and hashes "
				    "are text");
		/* bcrypt only, as exporter-toolkit: a DES or MD5 crypt would
		 * be weaker than what the file's author expects. */
		if (strncmp(v, "$2a$", 4) != 0 && strncmp(v, "$2b$", 4) != 0 &&
		    strncmp(v, "$2y$", 4) != 0)
			return fail(err, errlen, -EINVAL, "basic_auth_users: the password of "
				    "'%.60s' is not a bcrypt hash ($2y$...)", k);
		cfg->users[cfg->n_users] = strdup(k);
		cfg->hashes[cfg->n_users] = strdup(v);
		if (!cfg->users[cfg->n_users] || !cfg->hashes[cfg->n_users]) {
			free(cfg->users[cfg->n_users]);
			free(cfg->hashes[cfg->n_users]);
			return fail(err, errlen, -ENOMEM, "out of memory");
		}
		cfg->n_users++;
	}
	return 0;
}

int webconfig_parse(const char *text, size_t len, const char *base, struct webconfig *out,
		    char *err, size_t errlen)
{
	struct webconfig cfg = { 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return fail(err, errlen, -ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		char line[24];

		snprintf(line, sizeof(line), "%zu", parser.problem_mark.line + 1);
		r = fail(err, errlen, -EINVAL, "line %s: %.100s", line,
			 parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		return r;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_SCALAR_NODE && !*scalar(&doc, root))
		root = NULL; /* an empty document */
	if (root && root->type != YAML_MAPPING_NODE)
		r = fail(err, errlen, -EINVAL, "the web config must be a mapping");
	for (yaml_node_pair_t *p = root && r == 0 ? root->data.mapping.pairs.start : NULL;
	     p && p < root->data.mapping.pairs.top && r == 0; p++) {
		const char *k = scalar(&doc, yaml_document_get_node(&doc, p->key));
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);

		if (!k || !v)
			r = fail(err, errlen, -EINVAL, "the web config's keys are text");
		else if (strcmp(k, "tls_server_config") == 0)
			r = tls_section(&doc, v, base, &cfg, err, errlen);
		else if (strcmp(k, "basic_auth_users") == 0)
			r = users_section(&doc, v, &cfg, err, errlen);
		else
			r = fail(err, errlen, -EOPNOTSUPP, "'%.60s' is not supported by whosock "
				 "(tls_server_config and basic_auth_users are)", k);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (r < 0) {
		webconfig_free(&cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

int webconfig_load(const char *path, struct webconfig *cfg, char *err, size_t errlen)
{
	char *text = NULL, *base = strdup(path), *slash;
	size_t len = 0;
	int r;

	if (!base)
		return fail(err, errlen, -ENOMEM, "out of memory");
	slash = strrchr(base, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(base, ".");
	r = read_file(path, &text, &len);
	if (r < 0)
		r = fail(err, errlen, r, "cannot read %.200s: %s", path, strerror(-r));
	else
		r = webconfig_parse(text, len, base, cfg, err, errlen);
	free(text);
	free(base);
	return r;
}

bool webconfig_check(const struct webconfig *cfg, const char *user, const char *password)
{
	/* A hash of the same cost for unknown users: the answer takes as long. */
	static const char dummy[] = "$2y$10$abcdefghijklmnopqrstuu5Nm2LPTcjMWrH8jJFyTjgXD5V55pbJW";
	struct crypt_data *cd;
	const char *hash = dummy, *got;
	bool ok = false, known = false;
	unsigned char diff = 0;
	size_t len;

	if (!user || !password)
		return false;
	for (size_t i = 0; i < cfg->n_users; i++)
		if (strcmp(cfg->users[i], user) == 0) {
			hash = cfg->hashes[i];
			known = true;
			break;
		}
	/* struct crypt_data is large (32 KiB): not on a thread's stack. */
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	/* crypt_rn (libxcrypt): NULL on failure. Not crypt_r, which ASan
	 * intercepts: its build would then drop libcrypt and call NULL. */
	got = crypt_rn(password, hash, cd, (int)sizeof(*cd));
	len = strlen(hash);
	if (got && got[0] != '*' && strlen(got) == len) {
		for (size_t i = 0; i < len; i++)
			diff |= (unsigned char)(got[i] ^ hash[i]);
		ok = diff == 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok && known;
}

void webconfig_free(struct webconfig *cfg)
{
	if (!cfg)
		return;
	if (cfg->key)
		explicit_bzero(cfg->key, strlen(cfg->key));
	free(cfg->cert);
	free(cfg->key);
	for (size_t i = 0; i < cfg->n_users; i++) {
		free(cfg->users[i]);
		free(cfg->hashes[i]);
	}
	free(cfg->users);
	free(cfg->hashes);
	memset(cfg, 0, sizeof(*cfg));
}
