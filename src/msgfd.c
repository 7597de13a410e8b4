/*
 * msgfd - a message held once, in a sealed memfd; see include/msgfd.h.
 * Nothing here keeps the message in the caller's memory: writes go to the
 * page cache, pread reads it a piece at a time, and a mapping costs only
 * the pages that are touched.
 */
#include "msgfd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MSGFD_SEALS (F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)
#define MSGFD_PIECE 65536

int
msgfd_new(void)
{
	return memfd_create("mailgate-message", MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

int
msgfd_write(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
msgfd_seal(int fd)
{
	if (msgfd_write(fd, "", 1) < 0)
		return -1;
	return fcntl(fd, F_ADD_SEALS, MSGFD_SEALS);
}

int
msgfd_from(const void *p, size_t n)
{
	int fd = msgfd_new(), e;

	if (fd < 0)
		return -1;
	if (msgfd_write(fd, p, n) == 0 && msgfd_seal(fd) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int
msgfd_is_sealed(int fd, size_t len)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);

	return seals >= 0 && (seals & MSGFD_SEALS) == MSGFD_SEALS && fstat(fd, &st) == 0 &&
	    st.st_size >= 0 && (size_t)st.st_size == len + 1;
}

const char *
msgfd_map(int fd, size_t len)
{
	void *p = mmap(NULL, len + 1, PROT_READ, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

void
msgfd_unmap(const char *p, size_t len)
{
	if (p != NULL)
		munmap((void *)p, len + 1);
}

int
msgfd_read(int fd, size_t off, void *buf, size_t n)
{
	char *c = buf;

	while (n > 0) {
		ssize_t r = pread(fd, c, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;	/* cut short: a sealed file never is */
			return -1;
		}
		c += r;
		off += (size_t)r;
		n -= (size_t)r;
	}
	return 0;
}

long long
msgfd_crlf_size(int fd, size_t len)
{
	char buf[MSGFD_PIECE], prev = '\0';
	size_t off = 0;
	long long n = (long long)len;

	while (off < len) {
		size_t want = len - off < sizeof(buf) ? len - off : sizeof(buf), i;
		ssize_t r = pread(fd, buf, want, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		/* a bare LF counts two, as mime_crlf_size() counts it */
		for (i = 0; i < (size_t)r; i++) {
			const char *lf = memchr(buf + i, '\n', (size_t)r - i);

			if (lf == NULL)
				break;
			i = (size_t)(lf - buf);
			if ((i == 0 ? prev : buf[i - 1]) != '\r')
				n++;
		}
		prev = buf[r - 1];
		off += (size_t)r;
	}
	return n;
}

void
msgfd_hold_init(struct msgfd_hold *h)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
}

int
msgfd_hold_map(struct msgfd_hold *h)
{
	const char *p;

	if (h->mapped)
		return 0;
	if (h->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if ((p = msgfd_map(h->fd, h->len)) == NULL)
		return -1;
	h->raw = (char *)p;
	h->rawlen = h->len;
	h->mapped = 1;
	return 0;
}

void
msgfd_hold_unmap(struct msgfd_hold *h)
{
	if (!h->mapped)
		return;
	msgfd_unmap(h->raw, h->rawlen);
	h->raw = NULL;
	h->rawlen = 0;
	h->mapped = 0;
}

void
msgfd_hold_free(struct msgfd_hold *h)
{
	if (h->mapped)
		msgfd_hold_unmap(h);
	else
		free(h->raw);
	if (h->fd >= 0)
		close(h->fd);
	msgfd_hold_init(h);
}
