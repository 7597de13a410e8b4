/*
 * clerical - the clerical copies: rendering, files, index, state; see
 * include/clerical.h. ID.meta is one line
 * "MESSAGE-ID<TAB>MADE<TAB>PROCESS<TAB>FORM"; the state key
 * "clerical:MESSAGE-ID" is "waiting<TAB>ID<TAB>TIME" or "done<TAB>ID<TAB>TIME".
 */
#include "clerical.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "csv.h"
#include "state.h"

#define CL_META_MAX 4096

void clerical_id(const char *message_id, char id[CLERICAL_ID_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	SHA256((const unsigned char *)message_id, strlen(message_id), md);
	hex_encode(md, sizeof(md), hex);
	memcpy(id, hex, CLERICAL_ID_LEN);
	id[CLERICAL_ID_LEN] = '\0';
}

static int cl_id_ok(const char *id)
{
	size_t i;

	for (i = 0; i < CLERICAL_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[CLERICAL_ID_LEN] == '\0';
}

static char *cl_key(const char *message_id)
{
	return xasprintf("clerical:%s", message_id);
}

int clerical_state(struct sendlog *log, const char *message_id)
{
	char *key = cl_key(message_id), *v = NULL;
	int rc = state_get(log, key, &v);

	free(key);
	if (rc <= 0)
		return rc < 0 ? -1 : CLERICAL_NONE;
	rc = strncmp(v, "done\t", 5) == 0 ? CLERICAL_DONE : strncmp(v, "waiting\t", 8) == 0 ?
	    CLERICAL_WAITING : -1;
	free(v);
	return rc;
}

/* ---- rendering ----------------------------------------------------------- */

static void cl_html(struct sbuf *b, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '<': sbuf_adds(b, "&lt;"); break;
		case '>': sbuf_adds(b, "&gt;"); break;
		case '&': sbuf_adds(b, "&amp;"); break;
		case '"': sbuf_adds(b, "&quot;"); break;
		case '\'': sbuf_adds(b, "&#39;"); break;
		default: sbuf_addc(b, *s);
		}
}

/* The list's CSV as a table (header first); -1 with err when it cannot be read. */
static int cl_list_table(const struct mime_result *mr, struct csv_table *tab, char *err,
    size_t errlen)
{
	struct sbuf b;
	char *text;
	size_t len;
	int rc;

	memset(tab, 0, sizeof(*tab));
	if (mr == NULL || mr->ncsvs != 1) {
		snprintf(err, errlen, "the list must be attached as exactly one CSV file");
		return -1;
	}
	sbuf_init(&b);
	if (utf8_valid(mr->csvs[0].text, mr->csvs[0].len))
		sbuf_add(&b, mr->csvs[0].text, mr->csvs[0].len);
	else
		sbuf_add_cp1252(&b, mr->csvs[0].text, mr->csvs[0].len);
	text = sbuf_steal(&b, &len);
	rc = csv_parse(text ? text : "", len, tab, err, errlen);
	free(text);
	return rc < 0 ? -1 : 0;
}

/* The plain fields' values in template order (nfields entries). */
static char **cl_values(const struct clerical_form *f)
{
	const struct mime_result *mr = f->mr;
	struct tpl_text body = { NULL, mr->body.text, mr->body.len }, *docs;
	char **v;
	size_t i;

	docs = xcalloc(mr->ndocs ? mr->ndocs : 1, sizeof(*docs));
	for (i = 0; i < mr->ndocs; i++) {
		docs[i].name = mr->docs[i].name;
		docs[i].text = mr->docs[i].text;
		docs[i].len = mr->docs[i].len;
	}
	v = template_values(f->tpl, &body, docs, mr->ndocs);
	free(docs);
	return v;
}

static void cl_form_name(const struct clerical_form *f, struct sbuf *b)
{
	if (f->tpl == NULL)
		sbuf_adds(b, "no template");
	else
		sbuf_printf(b, "%s (%s)", f->tpl->title ? f->tpl->title : f->tpl->id,
		    f->tpl->form ? f->tpl->form : "-");
}

static void cl_text_head(const struct clerical_form *f, time_t made, struct sbuf *out)
{
	char ts[21];
	char id[CLERICAL_ID_LEN + 1];

	clerical_id(f->message_id, id);
	sendlog_time(made, ts);
	sbuf_adds(out, "Form: ");
	cl_form_name(f, out);
	sbuf_printf(out, "\nClerical copy %s made %s\nProcess: %s\nMessage-ID: <%s>\n\n", id, ts,
	    f->process ? f->process : "-", f->message_id);
}

void clerical_render_text(const struct clerical_form *f, time_t made, struct sbuf *out)
{
	struct csv_table tab;
	char err[160], **v;
	size_t i, r, c;

	cl_text_head(f, made, out);
	if (f->tpl == NULL) {
		sbuf_adds(out, f->mr->body.text ? f->mr->body.text : "(the message has no text)");
		sbuf_adds(out, "\n");
		return;
	}
	v = cl_values(f);
	for (i = 0; i < f->tpl->nfields; i++)
		if (!f->tpl->fields[i].in_list)
			sbuf_printf(out, "%s: %s\n", f->tpl->fields[i].name, v[i] ? v[i] : "");
	strv_free(v, f->tpl->nfields);
	if (!f->tpl->has_list)
		return;
	if (cl_list_table(f->mr, &tab, err, sizeof(err)) < 0) {
		sbuf_printf(out, "\nList: %s\n", err);
		return;
	}
	sbuf_adds(out, "\n");
	for (r = 0; r < tab.nrows; r++) {
		for (c = 0; c < tab.rows[r].ncells; c++)
			sbuf_printf(out, "%s%s", c ? " | " : "", tab.rows[r].cells[c]);
		sbuf_adds(out, "\n");
	}
	csv_free(&tab);
}

static const char cl_style[] =
    "@page { size: A4; margin: 18mm; }\n"
    "body { font-family: sans-serif; font-size: 11pt; color: #000; }\n"
    "h1 { font-size: 16pt; margin: 0 0 2mm; }\n"
    "table { border-collapse: collapse; width: 100%; margin-top: 4mm; }\n"
    "th, td { border: 1px solid #000; padding: 1.5mm 2mm; text-align: left;"
    " vertical-align: top; }\n"
    "tr { page-break-inside: avoid; }\n"
    "pre { white-space: pre-wrap; font-family: inherit; }\n"
    "p.meta { font-size: 8pt; margin-top: 8mm; }\n";

static void cl_html_list(const struct clerical_form *f, struct sbuf *out)
{
	struct csv_table tab;
	char err[160];
	size_t r, c;

	if (cl_list_table(f->mr, &tab, err, sizeof(err)) < 0) {
		sbuf_adds(out, "<p>");
		cl_html(out, err);
		sbuf_adds(out, "</p>\n");
		return;
	}
	sbuf_adds(out, "<table class=\"list\">\n");
	for (r = 0; r < tab.nrows; r++) {
		sbuf_adds(out, "<tr>");
		for (c = 0; c < tab.rows[r].ncells; c++) {
			sbuf_adds(out, r ? "<td>" : "<th>");
			cl_html(out, tab.rows[r].cells[c]);
			sbuf_adds(out, r ? "</td>" : "</th>");
		}
		sbuf_adds(out, "</tr>\n");
	}
	sbuf_adds(out, "</table>\n");
	csv_free(&tab);
}

static void cl_html_fields(const struct clerical_form *f, struct sbuf *out)
{
	char **v = cl_values(f);
	size_t i;

	sbuf_adds(out, "<table class=\"fields\">\n");
	for (i = 0; i < f->tpl->nfields; i++) {
		if (f->tpl->fields[i].in_list)
			continue;
		sbuf_adds(out, "<tr><th>");
		cl_html(out, f->tpl->fields[i].name);
		sbuf_adds(out, "</th><td>");
		cl_html(out, v[i] ? v[i] : "");
		sbuf_adds(out, "</td></tr>\n");
	}
	sbuf_adds(out, "</table>\n");
	strv_free(v, f->tpl->nfields);
}

void clerical_render_html(const struct clerical_form *f, time_t made, struct sbuf *out)
{
	struct sbuf name;
	char ts[21], id[CLERICAL_ID_LEN + 1];

	sbuf_init(&name);
	cl_form_name(f, &name);
	sbuf_adds(&name, "");
	clerical_id(f->message_id, id);
	sendlog_time(made, ts);
	sbuf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
	cl_html(out, name.data);
	sbuf_printf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", cl_style);
	cl_html(out, f->tpl ? (f->tpl->title ? f->tpl->title : f->tpl->id) : "Message text");
	sbuf_adds(out, "</h1>\n<p class=\"code\">");
	if (f->tpl) {
		sbuf_adds(out, "Form ");
		cl_html(out, f->tpl->form ? f->tpl->form : "-");
	} else {
		sbuf_adds(out, "No standard form matched: the message's text");
	}
	sbuf_adds(out, "</p>\n");
	if (f->tpl == NULL) {
		sbuf_adds(out, "<pre>");
		cl_html(out, f->mr->body.text ? f->mr->body.text : "(the message has no text)");
		sbuf_adds(out, "</pre>\n");
	} else {
		cl_html_fields(f, out);
		if (f->tpl->has_list)
			cl_html_list(f, out);
	}
	sbuf_printf(out, "<p class=\"meta\">Clerical copy %s, made %s, process ", id, ts);
	cl_html(out, f->process ? f->process : "-");
	sbuf_adds(out, ", Message-ID &lt;");
	cl_html(out, f->message_id);
	sbuf_adds(out, "&gt;</p>\n</body>\n</html>\n");
	sbuf_free(&name);
}

/* ---- files ---------------------------------------------------------------- */

/* state_dir/clerical, made 0750 in state_dir's group when absent; malloc'd, NULL with err. */
static char *cl_dir(const char *state_dir, int create, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/%s", state_dir, CLERICAL_DIR);
	struct stat st;

	if (!create || mkdir(dir, 0750) == 0 || errno == EEXIST) {
		if (create && stat(state_dir, &st) == 0 && chown(dir, (uid_t)-1, st.st_gid) < 0 &&
		    errno != EPERM) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			free(dir);
			return NULL;
		}
		return dir;
	}
	snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	free(dir);
	return NULL;
}

/* Writes path atomically, 0640, in the group of the folder it is in. 0, -1 with err. */
static int cl_write(const char *dir, const char *name, const char *data, size_t len, char *err,
    size_t errlen)
{
	char *path = xasprintf("%s/%s", dir, name), *tmp = xasprintf("%s/.%s.tmp", dir, name);
	struct stat st;
	int fd, ok = 0;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd >= 0) {
		/* the log readers' group: state_dir's folder group, as the readers' copy */
		if (stat(dir, &st) == 0 && fchown(fd, (uid_t)-1, st.st_gid) < 0 && errno != EPERM)
			st.st_gid = 0;
		ok = fchmod(fd, 0640) == 0 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
		ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
	}
	if (!ok) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(path);
	free(tmp);
	return ok ? 0 : -1;
}

char *clerical_path(const char *state_dir, const char *id, const char *ext)
{
	if (id == NULL || !cl_id_ok(id))
		return NULL;
	return xasprintf("%s/%s/%s.%s", state_dir, CLERICAL_DIR, id, ext);
}

/* Tabs and line breaks would break the one-line meta file. */
static void cl_clean(struct sbuf *b, const char *s)
{
	for (; s && *s; s++)
		sbuf_addc(b, (unsigned char)*s < 0x20 ? ' ' : *s);
}

static int cl_meta_read(const char *dir, const char *id, struct clerical_entry *e)
{
	char *path = xasprintf("%s/%s.meta", dir, id), *data, *f[4], *p;
	size_t len, i;

	data = file_read(path, CL_META_MAX, &len);
	free(path);
	if (data == NULL)
		return -1;
	for (i = 0, p = data; i < 4; i++) {
		f[i] = p;
		p = p ? strchr(p, i < 3 ? '\t' : '\n') : NULL;
		if (p)
			*p++ = '\0';
		else if (i < 3) {
			free(data);
			return -1;
		}
	}
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, CLERICAL_ID_LEN + 1);
	e->message_id = xstrdup(f[0]);
	e->made = (time_t)strtoll(f[1], NULL, 10);
	e->process = xstrdup(f[2]);
	e->form = xstrdup(f[3]);
	free(data);
	return 0;
}

static int cl_entry_cmp(const void *a, const void *b)
{
	const struct clerical_entry *x = a, *y = b;

	if (x->made != y->made)
		return x->made < y->made ? -1 : 1;
	return strcmp(x->id, y->id);
}

int clerical_list(const char *state_dir, struct clerical_entry **v, size_t *n, char *err,
    size_t errlen)
{
	char *dir = cl_dir(state_dir, 0, err, errlen), id[CLERICAL_ID_LEN + 1];
	struct dirent *de;
	DIR *d;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		int e = errno;

		if (e != ENOENT)
			snprintf(err, errlen, "%s: %s", dir, strerror(e));
		free(dir);
		return e == ENOENT ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != CLERICAL_ID_LEN + 5 ||
		    strcmp(de->d_name + CLERICAL_ID_LEN, ".meta") != 0)
			continue;
		memcpy(id, de->d_name, CLERICAL_ID_LEN);
		id[CLERICAL_ID_LEN] = '\0';
		if (!cl_id_ok(id))
			continue;
		if (*n == cap)
			*v = xreallocarray(*v, (cap = cap ? 2 * cap : 16), sizeof(**v));
		if (cl_meta_read(dir, id, &(*v)[*n]) == 0)
			(*n)++;
	}
	closedir(d);
	free(dir);
	if (*n > 1)
		qsort(*v, *n, sizeof(**v), cl_entry_cmp);
	return 0;
}

static void cl_entry_clear(struct clerical_entry *e)
{
	free(e->message_id);
	free(e->process);
	free(e->form);
}

void clerical_list_free(struct clerical_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cl_entry_clear(&v[i]);
	free(v);
}

static void cl_index_html(const struct clerical_entry *v, size_t n, struct sbuf *b)
{
	char ts[21];
	size_t i;

	sbuf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<title>Clerical copies waiting</title>\n<style>\n%s</style>\n</head>\n<body>\n"
	    "<h1>Clerical copies waiting (%zu)</h1>\n<table>\n<tr><th>Made</th><th>Form</th>"
	    "<th>Process</th><th>Copy</th></tr>\n", cl_style, n);
	for (i = 0; i < n; i++) {
		sendlog_time(v[i].made, ts);
		sbuf_printf(b, "<tr><td>%s</td><td>", ts);
		cl_html(b, v[i].form);
		sbuf_adds(b, "</td><td>");
		cl_html(b, v[i].process);
		sbuf_printf(b, "</td><td><a href=\"%s.html\">%s</a></td></tr>\n", v[i].id, v[i].id);
	}
	sbuf_adds(b, "</table>\n</body>\n</html>\n");
}

int clerical_index(const char *state_dir, char *err, size_t errlen)
{
	struct clerical_entry *v;
	struct sbuf b;
	char *dir;
	size_t n;
	int rc;

	if (clerical_list(state_dir, &v, &n, err, errlen) < 0)
		return -1;
	if ((dir = cl_dir(state_dir, 1, err, errlen)) == NULL) {
		clerical_list_free(v, n);
		return -1;
	}
	sbuf_init(&b);
	cl_index_html(v, n, &b);
	rc = cl_write(dir, "index.html", b.data, b.len, err, errlen);
	sbuf_free(&b);
	free(dir);
	clerical_list_free(v, n);
	return rc;
}

/* ID.txt, ID.html, then ID.meta (what the list reads: the copy is whole once it is there). */
static int cl_write_copy(const char *dir, const struct clerical_form *f, const char *id,
    time_t now, char *err, size_t errlen)
{
	struct sbuf b;
	char name[CLERICAL_ID_LEN + 8];
	int rc;

	sbuf_init(&b);
	clerical_render_text(f, now, &b);
	snprintf(name, sizeof(name), "%s.txt", id);
	rc = cl_write(dir, name, b.data, b.len, err, errlen);
	sbuf_reset(&b);
	clerical_render_html(f, now, &b);
	snprintf(name, sizeof(name), "%s.html", id);
	if (rc == 0)
		rc = cl_write(dir, name, b.data, b.len, err, errlen);
	sbuf_reset(&b);
	cl_clean(&b, f->message_id);
	sbuf_printf(&b, "\t%lld\t", (long long)now);
	cl_clean(&b, f->process ? f->process : "-");
	sbuf_addc(&b, '\t');
	{
		struct sbuf fn;

		sbuf_init(&fn);
		cl_form_name(f, &fn);
		sbuf_adds(&fn, "");
		cl_clean(&b, fn.data);
		sbuf_free(&fn);
	}
	sbuf_addc(&b, '\n');
	snprintf(name, sizeof(name), "%s.meta", id);
	if (rc == 0)
		rc = cl_write(dir, name, b.data, b.len, err, errlen);
	sbuf_free(&b);
	return rc;
}

int clerical_make(struct sendlog *log, const char *state_dir, const struct clerical_form *f,
    time_t now, char id[CLERICAL_ID_LEN + 1], char *err, size_t errlen)
{
	char *dir, *key, *value;
	int rc;

	clerical_id(f->message_id, id);
	if ((dir = cl_dir(state_dir, 1, err, errlen)) == NULL)
		return -1;
	rc = cl_write_copy(dir, f, id, now, err, errlen);
	free(dir);
	if (rc < 0)
		return -1;
	key = cl_key(f->message_id);
	value = xasprintf("waiting\t%s\t%lld", id, (long long)now);
	rc = state_set(log, NULL, key, value, err, errlen);
	free(key);
	free(value);
	if (rc < 0)
		return -1;
	return clerical_index(state_dir, err, errlen);
}

static void cl_unlink(const char *dir, const char *id)
{
	static const char *const ext[] = { "meta", "txt", "html" };
	size_t i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		char *p = xasprintf("%s/%s.%s", dir, id, ext[i]);

		unlink(p);
		free(p);
	}
}

int clerical_done(struct sendlog *log, const char *state_dir, const char *id, const char *note,
    const char *who, time_t now, char *err, size_t errlen)
{
	struct clerical_entry e;
	struct sendlog_row r;
	char *dir, *key, *value, *detail;
	int rc;

	if (id == NULL || !cl_id_ok(id)) {
		snprintf(err, errlen, "'%s' is not a clerical copy's ID (16 hex digits)", id ? id : "");
		return 1;
	}
	if ((dir = cl_dir(state_dir, 0, err, errlen)) == NULL)
		return -1;
	if (cl_meta_read(dir, id, &e) < 0) {
		snprintf(err, errlen, "%s: no clerical copy %s is waiting", dir, id);
		free(dir);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.time = now;
	r.kind = "clerical";
	r.outcome = "done";
	r.records = -1;
	r.process = strcmp(e.process, "-") ? e.process : NULL;
	r.message_id = e.message_id;
	r.submitted_by = who;
	detail = xasprintf("clerical copy %s done: %s", id, note);
	r.detail = detail;
	key = cl_key(e.message_id);
	value = xasprintf("done\t%s\t%lld", id, (long long)now);
	rc = state_set(log, &r, key, value, err, errlen);
	free(key);
	free(value);
	free(detail);
	if (rc == 0) {
		cl_unlink(dir, id);
		rc = clerical_index(state_dir, err, errlen);
	}
	cl_entry_clear(&e);
	free(dir);
	return rc;
}

int clerical_purge(const char *state_dir, time_t cutoff, char *err, size_t errlen)
{
	struct clerical_entry *v;
	size_t n, i;
	char *dir;
	int removed = 0;

	if (clerical_list(state_dir, &v, &n, err, errlen) < 0)
		return -1;
	if (n == 0) {
		free(v);
		return 0;
	}
	if ((dir = cl_dir(state_dir, 0, err, errlen)) == NULL) {
		clerical_list_free(v, n);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (v[i].made < cutoff) {
			cl_unlink(dir, v[i].id);
			removed++;
		}
	free(dir);
	clerical_list_free(v, n);
	if (removed > 0 && clerical_index(state_dir, err, errlen) < 0)
		return -1;
	return removed;
}
