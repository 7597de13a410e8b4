/*
 * deptnotice - drafting the department notices from their templates; see
 * include/deptnotice.h.
 */
#include "deptnotice.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fill.h"

#define DN_MAX_FILE (64 * 1024)

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

static void dn_time(char *s, size_t n, time_t t, int with_time)
{
	struct tm tm;

	if (t == 0) {
		snprintf(s, n, "(not known)");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(s, n, with_time ? "%Y-%m-%d %H:%M UTC" : "%Y-%m-%d", &tm);
}

int deptnotice_fill(const char *text, const char *name, const struct dn_fields *f,
    struct sbuf *out, char *err, size_t errlen)
{
	char since[32], today[32];
	const struct fill_field kv[] = {
		{ "designated_inbox", f->designated_inbox ? f->designated_inbox :
		    "(the designated inbox)" },
		{ "reason", f->reason ? f->reason : "" },
		{ "since", since },
		{ "today", today },
		{ NULL, NULL },
	};

	dn_time(since, sizeof(since), f->since, 1);
	dn_time(today, sizeof(today), f->today, 0);
	return fill_text(text, name, kv, out, err, errlen);
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
