/*
 * deptnotice - drafting the department notices from their templates; see
 * include/deptnotice.h.
 */
#include "deptnotice.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DN_MAX_FILE (64 * 1024)

static const char *const dn_names[] = { "designated_inbox", "reason", "since", "today" };

const char *deptnotice_file(enum dn_kind k)
{
	switch (k) {
	case DN_OUTAGE:
		return "notice-outage.txt";
	case DN_RETURN:
		return "notice-return.txt";
	}
	return "notice-unknown.txt";
}

static void dn_time(struct sbuf *b, time_t t, int with_time)
{
	struct tm tm;
	char s[32];

	if (t == 0) {
		sbuf_adds(b, "(not known)");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), with_time ? "%Y-%m-%d %H:%M UTC" : "%Y-%m-%d", &tm);
	sbuf_adds(b, s);
}

static void dn_value(struct sbuf *b, size_t which, const struct dn_fields *f)
{
	switch (which) {
	case 0:
		sbuf_adds(b, f->designated_inbox ? f->designated_inbox : "(the designated inbox)");
		break;
	case 1:
		sbuf_adds(b, f->reason ? f->reason : "");
		break;
	case 2:
		dn_time(b, f->since, 1);
		break;
	default:
		dn_time(b, f->today, 0);
		break;
	}
}

/* The placeholder at p ("{{name}}"): its index, or -1 unknown; *len its length. */
static int dn_placeholder(const char *p, size_t *len)
{
	const char *end = strstr(p + 2, "}}");
	size_t i, n;

	*len = end ? (size_t)(end - p) + 2 : strlen(p);
	if (end == NULL)
		return -1;
	n = (size_t)(end - (p + 2));
	for (i = 0; i < sizeof(dn_names) / sizeof(dn_names[0]); i++)
		if (strlen(dn_names[i]) == n && strncmp(p + 2, dn_names[i], n) == 0)
			return (int)i;
	return -1;
}

int deptnotice_fill(const char *text, const char *name, const struct dn_fields *f,
    struct sbuf *out, char *err, size_t errlen)
{
	const char *p = text;
	long line = 1;
	size_t len;
	int which;

	while (*p) {
		if (p[0] == '{' && p[1] == '{') {
			if ((which = dn_placeholder(p, &len)) < 0) {
				snprintf(err, errlen, "%s:%ld: error: unknown placeholder '%.*s' (known: "
				    "{{designated_inbox}}, {{reason}}, {{since}}, {{today}})", name, line,
				    (int)(len > 60 ? 60 : len), p);
				return -1;
			}
			dn_value(out, (size_t)which, f);
			p += len;
			continue;
		}
		if (*p == '\n')
			line++;
		sbuf_addc(out, *p++);
	}
	return 0;
}

int deptnotice_draft(const char *template_dir, enum dn_kind k, const struct dn_fields *f,
    struct sbuf *out, char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s", template_dir, deptnotice_file(k)), *text;
	size_t len;
	int rc;

	text = file_read(path, DN_MAX_FILE, &len);
	if (text == NULL) {
		snprintf(err, errlen, "%s: error: %s", path, strerror(errno ? errno : EINVAL));
		free(path);
		return -1;
	}
	if (strlen(text) != len || !utf8_valid(text, len)) {
		snprintf(err, errlen, "%s: error: not UTF-8 text", path);
		rc = -1;
	} else {
		rc = deptnotice_fill(text, path, f, out, err, errlen);
	}
	free(text);
	free(path);
	return rc;
}

void deptnotice_check(const char *template_dir, struct diag *d)
{
	static const struct dn_fields f = { "x@example.org", "r", 1, 1 };
	enum dn_kind k;
	char err[512];

	for (k = DN_OUTAGE; k <= DN_RETURN; k++) {
		char *path = xasprintf("%s/%s", template_dir, deptnotice_file(k));
		struct sbuf b;
		size_t len;
		char *text = file_read(path, DN_MAX_FILE, &len);

		if (text == NULL) {
			diag_add(d, DIAG_WARNING, path, 0, "missing: the department notice cannot be "
			    "drafted");
			free(path);
			continue;
		}
		sbuf_init(&b);
		if (deptnotice_fill(text, path, &f, &b, err, sizeof(err)) < 0) {
			const char *msg = strstr(err, ": error: ");
			long line = strtol(err + strlen(path) + 1, NULL, 10);

			diag_add(d, DIAG_ERROR, path, line, "%s", msg ? msg + 9 : err);
		}
		sbuf_free(&b);
		free(text);
		free(path);
	}
}
