/*
 * msgfd - a message held once, in a sealed memfd (issue 12, item 4): the
 * IMAP literal is written into it as it arrives, the worker's child maps
 * it as it is, and the daemon reads it through pread or a read-only
 * mapping of the pages it needs, so that the message's bytes are not in
 * the daemon's heap while its analysis is. The file holds the message and
 * a NUL after it (a mapping is a C string), and once sealed it can neither
 * change nor grow.
 *
 *	int fd = msgfd_new();
 *	msgfd_write(fd, p, n) ...; msgfd_seal(fd);
 *	const char *m = msgfd_map(fd, len);  ...  msgfd_unmap(m, len);
 *	close(fd);
 *
 * A workflow holding one message (outbound, inbound_flow) keeps its memfd
 * and its way in together in a struct msgfd_hold:
 *
 *	msgfd_hold_init(&h);  h.fd, h.len from the fetch;  msgfd_hold_map(&h);
 *	... h.raw, h.rawlen ...  msgfd_hold_unmap(&h);  ...  msgfd_hold_free(&h);
 */
#ifndef MG_MSGFD_H
#define MG_MSGFD_H

#include <stddef.h>

/* A new, empty memfd that can be sealed; -1 (errno set). */
int msgfd_new(void);
/* Appends n bytes: 0, or -1 (errno set). */
int msgfd_write(int fd, const void *p, size_t n);
/* Appends the NUL and seals it against writing, shrinking, growing and other seals; 0 or -1. */
int msgfd_seal(int fd);
/* A sealed memfd holding a copy of p (n bytes); -1 (errno set). */
int msgfd_from(const void *p, size_t n);
/* 1 when fd is a memfd sealed as msgfd_seal() does holding len bytes and the NUL. */
int msgfd_is_sealed(int fd, size_t len);
/* A read-only shared mapping of the len bytes and the NUL; NULL (errno set). */
const char *msgfd_map(int fd, size_t len);
void msgfd_unmap(const char *p, size_t len);
/* n bytes from offset off into buf (pread, in as many reads as it takes): 0, or -1 (errno). */
int msgfd_read(int fd, size_t off, void *buf, size_t n);
/* The message's size with CRLF line endings (mime_crlf_size), read in pieces; -1 on error. */
long long msgfd_crlf_size(int fd, size_t len);

/*
 * A message held for treatment: its sealed memfd (fd, len bytes; -1 none)
 * and raw, the way its bytes are read: a read-only mapping of fd while
 * mapped, else a heap copy (the header alone of a message too large to
 * fetch) or NULL. The holder owns fd and raw, and sets them directly.
 */
struct msgfd_hold {
	int fd;
	size_t len;
	char *raw;
	size_t rawlen;
	int mapped;
};

/* Nothing held (fd -1). */
void msgfd_hold_init(struct msgfd_hold *h);
/* raw: fd mapped read-only, a page costing memory once read (mapped already: 0); 0, -1 (errno). */
int msgfd_hold_map(struct msgfd_hold *h);
/* The mapping given up, with the pages read so far (a heap copy stays). */
void msgfd_hold_unmap(struct msgfd_hold *h);
/* All given up: the mapping or the heap copy freed, fd closed; then nothing is held. */
void msgfd_hold_free(struct msgfd_hold *h);

#endif
