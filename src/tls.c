/*
 * tls - the OpenSSL transport under libetpan's IMAP and SMTP sessions.
 *
 * libetpan's own TLS (GnuTLS in Debian) verifies nothing, so every byte
 * goes through a mailstream_low driver of ours over a socket and, once the
 * handshake is done, an OpenSSL SSL* that has checked the chain against
 * tls_ca_file (or the system store), the host name and TLS >= 1.2.
 * STARTTLS upgrades are refused when the server sent anything after its
 * STARTTLS reply (libetpan's response injection, CVE-2020-15953).
 * See include/tls.h.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <libetpan/libetpan.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util.h"

/* ---- the transport ---------------------------------------------------- */

struct dn_low {
	int fd;
	SSL *ssl;
	int timeout;
};

static int dn_wait(struct dn_low *d, short ev)
{
	struct pollfd p = { d->fd, ev, 0 };
	int r;

	do
		r = poll(&p, 1, d->timeout * 1000);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

static ssize_t dn_read(mailstream_low *low, void *buf, size_t n)
{
	struct dn_low *d = low->data;

	for (;;) {
		if (d->ssl != NULL) {
			int r = SSL_read(d->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n), e;

			if (r > 0)
				return r;
			e = SSL_get_error(d->ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (e == SSL_ERROR_WANT_READ ? dn_wait(d, POLLIN) == 0 :
			    e == SSL_ERROR_WANT_WRITE ? dn_wait(d, POLLOUT) == 0 : 0)
				continue;
			return -1;
		} else {
			ssize_t r;

			if (dn_wait(d, POLLIN) < 0)
				return -1;
			r = recv(d->fd, buf, n, 0);
			if (r < 0 && errno == EINTR)
				continue;
			return r;
		}
	}
}

static ssize_t dn_write(mailstream_low *low, const void *buf, size_t n)
{
	struct dn_low *d = low->data;

	for (;;) {
		if (d->ssl != NULL) {
			int r = SSL_write(d->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n), e;

			if (r > 0)
				return r;
			e = SSL_get_error(d->ssl, r);
			if (e == SSL_ERROR_WANT_READ ? dn_wait(d, POLLIN) == 0 :
			    e == SSL_ERROR_WANT_WRITE ? dn_wait(d, POLLOUT) == 0 : 0)
				continue;
			return -1;
		} else {
			ssize_t r;

			if (dn_wait(d, POLLOUT) < 0)
				return -1;
			r = send(d->fd, buf, n, MSG_NOSIGNAL);
			if (r < 0 && errno == EINTR)
				continue;
			return r;
		}
	}
}

static int dn_close(mailstream_low *low)
{
	struct dn_low *d = low->data;

	if (d->ssl != NULL)
		SSL_shutdown(d->ssl);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	return 0;
}

static int dn_get_fd(mailstream_low *low)
{
	return ((struct dn_low *)low->data)->fd;
}

/* Frees the driver data, never the fd: STARTTLS swaps the driver on the same socket. */
static void dn_free(mailstream_low *low)
{
	struct dn_low *d = low->data;

	if (d->ssl != NULL)
		SSL_free(d->ssl);
	free(d);
	free(low);
}

static mailstream_low_driver dn_driver = {
	dn_read, dn_write, dn_close, dn_get_fd, dn_free, NULL, NULL, NULL, NULL, NULL, NULL
};

int tls_pending(mailstream *s)
{
	struct dn_low *d;

	if (s == NULL)
		return 0;
	if (s->read_buffer_len > 0)
		return 1;
	d = mailstream_get_low(s)->data;
	return d->ssl != NULL && SSL_pending(d->ssl) > 0;
}

int tls_connect(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[16];
	int fd = -1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%d", port);
	r = getaddrinfo(host, ps, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "%s: cannot resolve: %s", host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(err, errlen, "%s:%d: cannot connect: %s", host, port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		int on = 1;

		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	}
	return fd;
}

mailstream *tls_stream(int fd, SSL *ssl)
{
	struct dn_low *d = xcalloc(1, sizeof(*d));
	mailstream_low *low;

	d->fd = fd;
	d->ssl = ssl;
	d->timeout = DN_TIMEOUT;
	low = mailstream_low_new(d, &dn_driver);
	return mailstream_new(low, 8192);
}

/* Handshakes on fd; verified chain, host name and TLS >= 1.2, or NULL with err. */
SSL *tls_handshake(const struct config *cfg, const char *host, int fd, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	struct in6_addr a6;
	struct in_addr a4;
	long vr;
	int ip = inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;

	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if ((cfg->tls_ca_file ? SSL_CTX_load_verify_locations(ctx, cfg->tls_ca_file, NULL) :
	    SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		snprintf(err, errlen, "%s: cannot load the CA bundle %s", host,
		    cfg->tls_ca_file ? cfg->tls_ca_file : "(system store)");
		SSL_CTX_free(ctx);
		return NULL;
	}
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);
	if (ssl == NULL)
		goto fail;
	if (ip)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	else {
		SSL_set_tlsext_host_name(ssl, host);
		SSL_set1_host(ssl, host);
	}
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		vr = SSL_get_verify_result(ssl);
		if (vr != X509_V_OK)
			snprintf(err, errlen, "%s: TLS certificate rejected: %s", host,
			    X509_verify_cert_error_string(vr));
		else
			snprintf(err, errlen, "%s: TLS handshake failed: %s", host,
			    ERR_reason_error_string(ERR_peek_last_error()) ?
			    ERR_reason_error_string(ERR_peek_last_error()) : "connection closed");
		ERR_clear_error();
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
fail:
	snprintf(err, errlen, "%s: TLS set-up failed", host);
	return NULL;
}

/* STARTTLS done on s: refuse injected bytes, handshake, swap the driver. */
int tls_upgrade(const struct config *cfg, const char *host, mailstream *s, char *err,
    size_t errlen)
{
	mailstream_low *old = mailstream_get_low(s);
	struct dn_low *d = old->data;
	SSL *ssl;

	if (s->read_buffer_len > 0) {
		snprintf(err, errlen, "%s: data injected before TLS", host);
		return -1;
	}
	ssl = tls_handshake(cfg, host, d->fd, err, errlen);
	if (ssl == NULL)
		return -1;
	{
		struct dn_low *n = xcalloc(1, sizeof(*n));

		n->fd = d->fd;
		n->ssl = ssl;
		n->timeout = DN_TIMEOUT;
		mailstream_low_free(old);
		mailstream_set_low(s, mailstream_low_new(n, &dn_driver));
	}
	return 0;
}

