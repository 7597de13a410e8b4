/*
 * tls - the OpenSSL transport under libetpan (see src/tls.c): TCP connect,
 * a verified handshake (chain against tls_ca_file or the system store, host
 * name, TLS 1.2 at least), the libetpan stream over it, and the STARTTLS
 * upgrade of a cleartext stream, refused when bytes came after the reply.
 * Errors are one line naming the host and the reason.
 */
#ifndef MG_TLS_H
#define MG_TLS_H

#include <stddef.h>

#include <libetpan/libetpan.h>
#include <openssl/ssl.h>

#include "config.h"

#define DN_TIMEOUT 60		/* seconds of silence before a session is dead */

/* A connected TCP socket, or -1 with err. */
int tls_connect(const char *host, int port, char *err, size_t errlen);
/* The verified TLS session on fd, or NULL with err ("HOST: TLS certificate rejected: ..."). */
SSL *tls_handshake(const struct config *cfg, const char *host, int fd, char *err, size_t errlen);
/* A libetpan stream over fd, and over ssl when not NULL. */
mailstream *tls_stream(int fd, SSL *ssl);
/* After a STARTTLS reply: handshake on the same socket and swap the driver; -1 with err. */
int tls_upgrade(const struct config *cfg, const char *host, mailstream *s, char *err,
    size_t errlen);
/* 1 when bytes wait, in libetpan's buffer or inside OpenSSL (poll() would not see them). */
int tls_pending(mailstream *s);

#endif
