/*
 * driver - runs a libFuzzer target without libFuzzer (compilers without
 * -fsanitize=fuzzer), so that "make check" replays every corpus everywhere.
 *
 * Usage: fuzz_X [-runs=N] [-seed=S] [-max_len=N] DIR|FILE...
 * Every corpus file is run once, then N inputs made by mutating corpus
 * files (bit flips, byte changes, insertions, deletions, splices) with a
 * fixed-seed generator, so a run is repeatable. The flags are spelled as
 * libFuzzer's so that one command line serves both.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_input {
	char *data;
	size_t len;
};

static uint64_t
fz_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void
fz_add_file(const char *path, struct fz_input **v, size_t *n, size_t max_len)
{
	struct fz_input in;

	in.data = file_read(path, max_len, &in.len);
	if (in.data == NULL)
		return;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = in;
}

static int
fz_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a directory in name order, so runs do not depend on readdir order. */
static void
fz_add_path(const char *path, struct fz_input **v, size_t *n, size_t max_len)
{
	struct dirent *de;
	struct stat st;
	char **names = NULL;
	size_t nn = 0, i;
	DIR *d;

	if (stat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		fz_add_file(path, v, n, max_len);
		return;
	}
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, nn + 1, sizeof(*names));
		names[nn++] = xasprintf("%s/%s", path, de->d_name);
	}
	closedir(d);
	if (nn > 1)	/* an empty folder has no array: qsort must not see NULL */
		qsort(names, nn, sizeof(*names), fz_cmp);
	for (i = 0; i < nn; i++) {
		fz_add_file(names[i], v, n, max_len);
		free(names[i]);
	}
	free(names);
}

static void
fz_mutate(struct sbuf *b, const struct fz_input *v, size_t n, uint64_t *s, size_t max_len)
{
	const struct fz_input *base = &v[fz_next(s) % n];
	unsigned k, steps = 1 + (unsigned)(fz_next(s) % 8);
	static const char *tokens[] = { "\r\n", "=?utf-8?B?", "?=", "boundary=\"", "--",
		"Content-Type: multipart/mixed; boundary=", "Content-Transfer-Encoding: base64\r\n",
		"=\r\n", "<!DOCTYPE x [<!ENTITY a \"b\">]>", "&a;", "\"", "\\", "AB 12 34 56 C",
		"<", ">", "\0", "=", "key = value\n" };

	sbuf_reset(b);
	sbuf_add(b, base->data, base->len);
	for (k = 0; k < steps; k++) {
		size_t pos = b->len ? fz_next(s) % b->len : 0;

		switch (fz_next(s) % 6) {
		case 0:
			if (b->len)
				b->data[pos] ^= (char)(1u << (fz_next(s) % 8));
			break;
		case 1:
			if (b->len)
				b->data[pos] = (char)fz_next(s);
			break;
		case 2: {
			const char *t = tokens[fz_next(s) % (sizeof(tokens) / sizeof(tokens[0]))];
			size_t tl = strlen(t) ? strlen(t) : 1, old = b->len;

			sbuf_add(b, t, tl);
			memmove(b->data + pos + tl, b->data + pos, old - pos);
			memcpy(b->data + pos, t, tl);
			break;
		}
		case 3:
			if (b->len) {
				size_t cut = 1 + fz_next(s) % (b->len - pos);

				memmove(b->data + pos, b->data + pos + cut, b->len - pos - cut);
				b->len -= cut;
			}
			break;
		case 4: {
			const struct fz_input *o = &v[fz_next(s) % n];

			if (o->len) {
				size_t from = fz_next(s) % o->len;

				b->len = pos;
				sbuf_add(b, o->data + from, o->len - from);
			}
			break;
		}
		case 5:
			if (b->len && b->len < max_len / 2) {
				size_t from = pos, cnt = 1 + fz_next(s) % (b->len - pos), old = b->len;

				/* the bytes come from b itself: grown first, they cannot move under the copy */
				sbuf_reserve(b, cnt);
				sbuf_add(b, b->data + from, cnt);
				(void)old;
			}
			break;
		}
		if (b->len > max_len)
			b->len = max_len;
	}
}

int
main(int argc, char **argv)
{
	struct fz_input *v = NULL;
	size_t n = 0, i, max_len = 1 << 20;
	unsigned long runs = 0, r;
	uint64_t seed = 1;
	struct sbuf b;
	int a;

	for (a = 1; a < argc; a++) {
		if (strncmp(argv[a], "-runs=", 6) == 0)
			runs = strtoul(argv[a] + 6, NULL, 10);
		else if (strncmp(argv[a], "-seed=", 6) == 0)
			seed = strtoull(argv[a] + 6, NULL, 10);
		else if (strncmp(argv[a], "-max_len=", 9) == 0)
			max_len = strtoul(argv[a] + 9, NULL, 10);
		else if (argv[a][0] == '-')
			continue;	/* other libFuzzer flags mean nothing here */
		else
			fz_add_path(argv[a], &v, &n, max_len);
	}
	if (seed == 0)
		seed = 1;
	for (i = 0; i < n; i++)
		LLVMFuzzerTestOneInput((const uint8_t *)v[i].data, v[i].len);
	sbuf_init(&b);
	for (r = 0; n > 0 && r < runs; r++) {
		fz_mutate(&b, v, n, &seed, max_len);
		LLVMFuzzerTestOneInput((const uint8_t *)(b.data ? b.data : ""), b.len);
	}
	printf("fuzz driver: %zu corpus inputs, %lu mutated runs, no crash\n", n, r);
	sbuf_free(&b);
	for (i = 0; i < n; i++)
		free(v[i].data);
	free(v);
	return 0;
}
