/*
 * tls - the OpenSSL transport under libetpan (see src/tls.c): TCP connect,
 * a verified handshake (chain against tls_ca_file or the system store, host
 * name, TLS 1.2 at least), the libetpan stream over it, and the STARTTLS
 * upgrade of a cleartext stream, refused when bytes came after the reply.
 * Errors are one line naming the host and the reason.
 */
#ifndef MG_TLS_H
#define MG_TLS_H

#include <signal.h>
#include <stddef.h>

#include <libetpan/libetpan.h>
#include <openssl/ssl.h>

#include "config.h"

#define TLS_TIMEOUT 60		/* default seconds a whole command may take */
#define TLS_CONNECT_TIMEOUT 10	/* seconds for the TCP connect, and for a greeting */
#define TLS_SLICE_MS 250	/* a stop request is seen within this */

/*
 * The deadline of the command under way and the stop flag (SIGTERM) of a
 * session: every read and write of the stream waits at most until the
 * deadline, whatever trickles in, and returns an error within
 * TLS_SLICE_MS once *stop is set. The session arms it before each command.
 */
enum tls_clock_state { TLS_CLOCK_OK, TLS_CLOCK_EXPIRED, TLS_CLOCK_STOPPED };
struct tls_clock {
	long long deadline_ms;		/* CLOCK_MONOTONIC */
	volatile sig_atomic_t *stop;	/* NULL: never stopped */
	enum tls_clock_state fired;
};
void tls_clock_init(struct tls_clock *c, volatile sig_atomic_t *stop);
void tls_clock_arm(struct tls_clock *c, int seconds);
/* Why the last wait failed, in words; NULL when the clock did not fire. */
const char *tls_clock_why(const struct tls_clock *c);

/* A connected (non-blocking) TCP socket within TLS_CONNECT_TIMEOUT, or -1 with err. */
int tls_connect(const char *host, int port, struct tls_clock *c, char *err, size_t errlen);
/* The verified TLS session on fd, or NULL with err ("HOST: TLS certificate rejected: ..."). */
SSL *tls_handshake(const struct config *cfg, const char *host, int fd, struct tls_clock *c,
    char *err, size_t errlen);
/* A libetpan stream over fd, and over ssl when not NULL; reads and writes obey c. */
mailstream *tls_stream(int fd, SSL *ssl, struct tls_clock *c);
/* After a STARTTLS reply: handshake on the same socket and swap the driver; -1 with err. */
int tls_upgrade(const struct config *cfg, const char *host, mailstream *s, char *err,
    size_t errlen);
/*
 * What a log line says of the connection: "IP]:PORT" of the peer and the
 * TLS version ("TLSv1.3", or "none"), into buf. Empty when not connected.
 */
void tls_describe(mailstream *s, char *peer, size_t peerlen, char *version, size_t vlen);
/* 1 when bytes wait, in libetpan's buffer or inside OpenSSL (poll() would not see them). */
int tls_pending(mailstream *s);

#endif
