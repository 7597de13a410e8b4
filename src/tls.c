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
#include <netinet/tcp.h>

#include <libetpan/libetpan.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util.h"

/* ---- the transport ---------------------------------------------------- */

struct tls_low {
	int fd;
	SSL *ssl;
	struct tls_clock *clock;
};

static long long tls_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tls_clock_init(struct tls_clock *c, volatile sig_atomic_t *stop)
{
	memset(c, 0, sizeof(*c));
	c->stop = stop;
	tls_clock_arm(c, TLS_TIMEOUT);
}

void tls_clock_arm(struct tls_clock *c, int seconds)
{
	c->deadline_ms = tls_now_ms() + (long long)seconds * 1000;
	c->fired = TLS_CLOCK_OK;
}

const char *tls_clock_why(const struct tls_clock *c)
{
	switch (c->fired) {
	case TLS_CLOCK_OK:
		return NULL;
	case TLS_CLOCK_EXPIRED:
		return "the server did not answer in time";
	case TLS_CLOCK_STOPPED:
		return "stopped by a signal";
	}
	return "internal error: unknown clock state";
}

/*
 * Waits for ev on fd in slices of at most TLS_SLICE_MS, so that a stop
 * request is seen within that time and the deadline covers the whole
 * command, not each read. 0 ready, -1 expired, stopped or failed.
 */
static int tls_poll(int fd, short ev, struct tls_clock *c)
{
	struct pollfd p = { fd, ev, 0 };
	long long left;
	int r;

	for (;;) {
		if (c->stop != NULL && *c->stop) {
			c->fired = TLS_CLOCK_STOPPED;
			return -1;
		}
		left = c->deadline_ms - tls_now_ms();
		if (left <= 0) {
			c->fired = TLS_CLOCK_EXPIRED;
			return -1;
		}
		p.revents = 0;
		r = poll(&p, 1, left > TLS_SLICE_MS ? TLS_SLICE_MS : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int tls_wait(struct tls_low *d, short ev)
{
	return tls_poll(d->fd, ev, d->clock);
}

static ssize_t tls_read(mailstream_low *low, void *buf, size_t n)
{
	struct tls_low *d = low->data;

	for (;;) {
		if (d->ssl != NULL) {
			int r = SSL_read(d->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n), e;

			if (r > 0)
				return r;
			e = SSL_get_error(d->ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (e == SSL_ERROR_WANT_READ ? tls_wait(d, POLLIN) == 0 :
			    e == SSL_ERROR_WANT_WRITE ? tls_wait(d, POLLOUT) == 0 : 0)
				continue;
			return -1;
		} else {
			ssize_t r;

			if (tls_wait(d, POLLIN) < 0)
				return -1;
			r = recv(d->fd, buf, n, 0);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return r;
		}
	}
}

static ssize_t tls_write(mailstream_low *low, const void *buf, size_t n)
{
	struct tls_low *d = low->data;

	for (;;) {
		if (d->ssl != NULL) {
			int r = SSL_write(d->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n), e;

			if (r > 0)
				return r;
			e = SSL_get_error(d->ssl, r);
			if (e == SSL_ERROR_WANT_READ ? tls_wait(d, POLLIN) == 0 :
			    e == SSL_ERROR_WANT_WRITE ? tls_wait(d, POLLOUT) == 0 : 0)
				continue;
			return -1;
		} else {
			ssize_t r;

			if (tls_wait(d, POLLOUT) < 0)
				return -1;
			r = send(d->fd, buf, n, MSG_NOSIGNAL);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return r;
		}
	}
}

static int tls_close(mailstream_low *low)
{
	struct tls_low *d = low->data;

	if (d->ssl != NULL)
		SSL_shutdown(d->ssl);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	return 0;
}

static int tls_get_fd(mailstream_low *low)
{
	return ((struct tls_low *)low->data)->fd;
}

/* Frees the driver data, never the fd: STARTTLS swaps the driver on the same socket. */
static void tls_free(mailstream_low *low)
{
	struct tls_low *d = low->data;

	if (d->ssl != NULL)
		SSL_free(d->ssl);
	free(d);
	free(low);
}

static mailstream_low_driver tls_driver = {
	tls_read, tls_write, tls_close, tls_get_fd, tls_free, NULL, NULL, NULL, NULL, NULL, NULL
};

void tls_describe(mailstream *s, char *peer, size_t peerlen, char *version, size_t vlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "", port[8] = "";
	struct tls_low *d;

	peer[0] = version[0] = '\0';
	if (s == NULL)
		return;
	d = mailstream_get_low(s)->data;
	if (getpeername(d->fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
	    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(peer, peerlen, "%s]:%s", host, port);
	snprintf(version, vlen, "%s", d->ssl ? SSL_get_version(d->ssl) : "none");
}

int tls_pending(mailstream *s)
{
	struct tls_low *d;

	if (s == NULL)
		return 0;
	if (s->read_buffer_len > 0)
		return 1;
	d = mailstream_get_low(s)->data;
	return d->ssl != NULL && SSL_pending(d->ssl) > 0;
}

/* A non-blocking connect bounded by the clock; 0, or -1 with errno-like words in err. */
static int tls_connect_one(const struct addrinfo *ai, struct tls_clock *c, int *fdp)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    ai->ai_protocol), e = 0;
	socklen_t elen = sizeof(e);

	*fdp = -1;
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		*fdp = fd;
		return 0;
	}
	if (errno != EINPROGRESS)
		goto fail;
	if (tls_poll(fd, POLLOUT, c) < 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0 || e != 0) {
		errno = e ? e : EIO;
		goto fail;
	}
	*fdp = fd;
	return 0;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int tls_connect(const char *host, int port, struct tls_clock *c, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[16];
	int fd = -1, r, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%d", port);
	r = getaddrinfo(host, ps, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "%s: cannot resolve: %s", host, gai_strerror(r));
		return -1;
	}
	tls_clock_arm(c, TLS_CONNECT_TIMEOUT);
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		if (tls_connect_one(ai, c, &fd) == 0)
			break;
		if (c->fired == TLS_CLOCK_STOPPED)
			snprintf(err, errlen, "%s:%d: cannot connect: %s", host, port,
			    tls_clock_why(c));
		else
			snprintf(err, errlen, "%s:%d: cannot connect: %s", host, port,
			    errno == ETIMEDOUT ? "no answer within 10 s (a firewall, or the wrong host "
			    "or port?)" : strerror(errno));
		if (c->fired != TLS_CLOCK_OK)
			break;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
		/*
		 * Writes are already gathered (the stream's buffer, a command group
		 * per flush); with Nagle on, the tail of a message's data waits for
		 * the ACK the server delays (40 ms) because it has nothing to say
		 * until it has that tail.
		 */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
	return fd;
}

mailstream *tls_stream(int fd, SSL *ssl, struct tls_clock *c)
{
	struct tls_low *d = xcalloc(1, sizeof(*d));
	mailstream_low *low;

	d->fd = fd;
	d->ssl = ssl;
	d->clock = c;
	low = mailstream_low_new(d, &tls_driver);
	return mailstream_new(low, 8192);
}

/* Handshakes on fd; verified chain, host name and TLS >= 1.2, or NULL with err. */
/* SSL_connect on the non-blocking socket, bounded by the clock; 1 done. */
static int tls_connect_ssl(SSL *ssl, int fd, struct tls_clock *c)
{
	int r, e;

	for (;;) {
		r = SSL_connect(ssl);
		if (r == 1)
			return 1;
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ ? tls_poll(fd, POLLIN, c) == 0 :
		    e == SSL_ERROR_WANT_WRITE ? tls_poll(fd, POLLOUT, c) == 0 : 0)
			continue;
		return r;
	}
}

SSL *tls_handshake(const struct config *cfg, const char *host, int fd, struct tls_clock *c,
    char *err, size_t errlen)
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
	if (tls_connect_ssl(ssl, fd, c) != 1) {
		vr = SSL_get_verify_result(ssl);
		if (c->fired != TLS_CLOCK_OK)
			snprintf(err, errlen, "%s: TLS handshake: %s (a plain-text port? check the "
			    "*_tls and *_port settings)", host, tls_clock_why(c));
		else if (vr != X509_V_OK)
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
	struct tls_low *d = old->data;
	SSL *ssl;

	if (s->read_buffer_len > 0) {
		snprintf(err, errlen, "%s: data injected before TLS", host);
		return -1;
	}
	ssl = tls_handshake(cfg, host, d->fd, d->clock, err, errlen);
	if (ssl == NULL)
		return -1;
	{
		struct tls_low *n = xcalloc(1, sizeof(*n));

		n->fd = d->fd;
		n->ssl = ssl;
		n->clock = d->clock;
		mailstream_low_free(old);
		mailstream_set_low(s, mailstream_low_new(n, &tls_driver));
	}
	return 0;
}

