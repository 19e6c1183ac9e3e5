/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --web.config.file: TLS and basic auth in the format of Prometheus's
 * exporter-toolkit (YAML):
 *
 *     tls_server_config:
 *       cert_file: server.crt      # relative to the file's directory
 *       key_file: server.key
 *     basic_auth_users:
 *       alice: $2y$10$...          # bcrypt
 *
 * Keys whosock does not implement are refused, not ignored: a setting that
 * silently does nothing (client certificates, say) would be a hole.
 */
#ifndef WHOSOCK_WEBCONFIG_H
#define WHOSOCK_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct webconfig {
	char *cert, *key;     /* PEM contents (NUL-terminated), NULL: no TLS */
	char **users, **hashes;
	size_t n_users;       /* 0: no authentication */
};

/* Read path into *cfg. Returns 0, or a negative errno with a one-line
 * message in err (the file's line for a YAML error). */
int webconfig_load(const char *path, struct webconfig *cfg, char *err, size_t errlen);

/* The same from text (base: the directory relative file names are read
 * from). */
int webconfig_parse(const char *text, size_t len, const char *base, struct webconfig *cfg,
		    char *err, size_t errlen);

/* Whether user and password match a basic_auth_users entry (bcrypt via
 * crypt(3)); an unknown user costs the same as a wrong password. */
bool webconfig_check(const struct webconfig *cfg, const char *user, const char *password);

void webconfig_free(struct webconfig *cfg);

#endif
