/*
 * caseload - the holders of the participants, as keyed hashes in
 * state_dir/caseload.db; see include/caseload.h.
 */
#include "caseload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <sqlite3.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "csv.h"
#include "util.h"

#define CL_HASH_HEX 65

struct caseload {
	sqlite3 *db;
	char *path;
	EVP_MAC *mac;
	/* one HMAC context per key, keyed once: re-initialised for each hash */
	EVP_MAC_CTX *person, *surname;
};

static const char cl_schema[] =
	"CREATE TABLE IF NOT EXISTS person (hash TEXT PRIMARY KEY, holder TEXT NOT NULL, "
	"surname TEXT) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);";

/* ---- keys and hashes ---------------------------------------------------- */

/* Two 32-byte keys from the log key, with the caseload's own label. */
static int cl_derive(struct caseload *cl, const unsigned char *key, size_t keylen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	unsigned char out[64];
	OSSL_PARAM p[5];
	int ok;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)"mailgate caseload", 17);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)"mailgate caseload v1", 20);
	p[4] = OSSL_PARAM_construct_end();
	ok = kctx && EVP_KDF_derive(kctx, out, sizeof(out), p) == 1;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	if (ok) {
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
		p[1] = OSSL_PARAM_construct_end();
		cl->person = EVP_MAC_CTX_new(cl->mac);
		cl->surname = EVP_MAC_CTX_new(cl->mac);
		ok = cl->person && cl->surname && EVP_MAC_init(cl->person, out, 32, p) == 1 &&
		    EVP_MAC_init(cl->surname, out + 32, 32, p) == 1;
	}
	explicit_bzero(out, sizeof(out));
	return ok ? 0 : -1;
}

/* HMAC-SHA256 of a then b (b may be NULL) under the context's key, hex. */
static int cl_hmac(EVP_MAC_CTX *ctx, const char *a, size_t alen, const char *b,
    char out[CL_HASH_HEX])
{
	unsigned char md[32];
	size_t mdlen = sizeof(md);
	int ok;

	ok = EVP_MAC_init(ctx, NULL, 0, NULL) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)a, alen) == 1 &&
	    (b == NULL || (EVP_MAC_update(ctx, (const unsigned char *)"\0", 1) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)b, strlen(b)) == 1)) &&
	    EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) == 1;
	if (ok)
		hex_encode(md, 32, out);
	return ok ? 0 : -1;
}

/* Is code point c dropped from a surname (an accent or white space)? */
static int cl_dropped(ucs4_t c)
{
	return uc_is_general_category(c, UC_CATEGORY_M) || uc_is_property_white_space(c) ||
	    uc_is_general_category(c, UC_CATEGORY_Zs);
}

char *caseload_norm_surname(const char *s)
{
	size_t n = 0, len = strlen(s);
	uint8_t *folded, *kept, *out;
	const uint8_t *p;
	struct sbuf b;
	ucs4_t c;

	if (!utf8_valid(s, len))
		return NULL;
	folded = u8_casefold((const uint8_t *)s, len, NULL, UNINORM_NFKD, NULL, &n);
	if (folded == NULL)
		return NULL;
	sbuf_init(&b);
	for (p = folded; p < folded + n;) {
		int k = u8_mbtouc(&c, p, (size_t)(folded + n - p));

		if (!cl_dropped(c))
			sbuf_add(&b, p, (size_t)k);
		p += k;
	}
	free(folded);
	if (b.len == 0) {
		sbuf_free(&b);
		return NULL;
	}
	kept = (uint8_t *)b.data;
	n = 0;
	out = u8_normalize(UNINORM_NFC, kept, b.len, NULL, &n);
	sbuf_free(&b);
	if (out == NULL)
		return NULL;
	{
		char *r = xstrndup((const char *)out, n);

		free(out);
		return r;
	}
}

/* ---- the database ------------------------------------------------------- */

void caseload_error(struct caseload *cl, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", cl->path, cl->db ? sqlite3_errmsg(cl->db) : "not open");
}

static int cl_open_db(struct caseload *cl, int write, char *err, size_t errlen)
{
	int fd, flags = write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;

	if (write) {
		/* created owner-only before SQLite sees it: hashes are still personal data */
		fd = open(cl->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "%s: error: %s", cl->path, strerror(errno));
			return -1;
		}
		close(fd);
	}
	if (sqlite3_open_v2(cl->path, &cl->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: error: %s", cl->path,
		    cl->db ? sqlite3_errmsg(cl->db) : "cannot open");
		return -1;
	}
	sqlite3_busy_timeout(cl->db, 5000);
	if (write && sqlite3_exec(cl->db, cl_schema, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: error: %s", cl->path, sqlite3_errmsg(cl->db));
		return -1;
	}
	return 0;
}

int caseload_open(const char *state_dir, const unsigned char *key, size_t keylen, int write,
    struct caseload **out, char *err, size_t errlen)
{
	struct caseload *cl = xcalloc(1, sizeof(*cl));

	*out = NULL;
	cl->path = xasprintf("%s/caseload.db", state_dir);
	if (key == NULL || keylen < 32) {
		snprintf(err, errlen, "%s: error: the log key is needed for the caseload", cl->path);
		caseload_close(cl);
		return -1;
	}
	cl->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (cl->mac == NULL || cl_derive(cl, key, keylen) < 0) {
		snprintf(err, errlen, "%s: error: cannot derive the caseload keys", cl->path);
		caseload_close(cl);
		return -1;
	}
	if (cl_open_db(cl, write, err, errlen) < 0) {
		caseload_close(cl);
		return -1;
	}
	*out = cl;
	return 0;
}

void caseload_close(struct caseload *cl)
{
	if (cl == NULL)
		return;
	sqlite3_close(cl->db);
	EVP_MAC_CTX_free(cl->person);
	EVP_MAC_CTX_free(cl->surname);
	EVP_MAC_free(cl->mac);
	free(cl->path);
	free(cl);
}

/* ---- import ------------------------------------------------------------- */

/* Where each column stands in the file; -1 absent. */
struct cl_cols {
	int nino, holder, surname;
	size_t n;
};

static int cl_header(const char *name, const struct csv_row *h, struct cl_cols *c, char *err,
    size_t errlen)
{
	size_t i;

	c->nino = c->holder = c->surname = -1;
	c->n = h->ncells;
	for (i = 0; i < h->ncells; i++) {
		char *cell = str_trim(h->cells[i]);
		int *slot = ascii_strcasecmp(cell, "nino") == 0 ? &c->nino :
		    ascii_strcasecmp(cell, "holder") == 0 ? &c->holder :
		    ascii_strcasecmp(cell, "surname") == 0 ? &c->surname : NULL;

		if (slot == NULL || *slot >= 0) {
			snprintf(err, errlen, "%s:%zu: error: column %zu: %s; the header is "
			    "nino,holder and optionally surname", name, h->line, i + 1,
			    slot ? "named twice" : "not a caseload column");
			return -1;
		}
		*slot = (int)i;
	}
	if (c->nino < 0 || c->holder < 0) {
		snprintf(err, errlen, "%s:%zu: error: the header lacks the %s column", name, h->line,
		    c->nino < 0 ? "nino" : "holder");
		return -1;
	}
	return 0;
}

static int cl_holder_ok(const char *h, const char *const *holders, size_t n)
{
	size_t i;

	if (strcmp(h, CASELOAD_INTERNAL) == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (strcmp(h, holders[i]) == 0)
			return 1;
	return 0;
}

/* One validated row, hashed. */
struct cl_entry {
	char hash[CL_HASH_HEX];
	char surname[CL_HASH_HEX];	/* "" without one */
	const char *holder;
	size_t line;
};

struct cl_import {
	const char *name;
	const struct cl_cols *cols;
	const char *const *holders;
	size_t nholders;
	char *err;
	size_t errlen;
};

static int cl_row_error(const struct cl_import *im, const struct csv_row *r, const char *col,
    const char *what)
{
	snprintf(im->err, im->errlen, "%s:%zu: error: column %s: %s", im->name, r->line, col, what);
	return -1;
}

static int cl_row(struct caseload *cl, const struct cl_import *im, const struct csv_row *r,
    struct cl_entry *e)
{
	char stem[NINO_STEM_LEN + 1], *norm;

	if (r->ncells != im->cols->n) {
		snprintf(im->err, im->errlen, "%s:%zu: error: %zu columns where the header has %zu",
		    im->name, r->line, r->ncells, im->cols->n);
		return -1;
	}
	if (!nino_parse(r->cells[im->cols->nino], 0, stem))
		return cl_row_error(im, r, "nino", "not a National Insurance number");
	e->holder = str_trim(r->cells[im->cols->holder]);
	if (!cl_holder_ok(e->holder, im->holders, im->nholders) ||
	    strlen(e->holder) > CASELOAD_HOLDER_MAX)
		return cl_row_error(im, r, "holder", "not a sub-contractor of the policy nor internal");
	e->line = r->line;
	e->surname[0] = '\0';
	if (cl_hmac(cl->person, stem, NINO_STEM_LEN, NULL, e->hash) < 0)
		return cl_row_error(im, r, "nino", "cannot be hashed (OpenSSL)");
	if (im->cols->surname < 0)
		return 0;
	norm = caseload_norm_surname(r->cells[im->cols->surname]);
	if (norm == NULL)
		return cl_row_error(im, r, "surname", "empty or not valid text");
	if (cl_hmac(cl->surname, stem, NINO_STEM_LEN, norm, e->surname) < 0) {
		free(norm);
		return cl_row_error(im, r, "surname", "cannot be hashed (OpenSSL)");
	}
	free(norm);
	return 0;
}

static int cl_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cl_entry *)a)->hash, ((const struct cl_entry *)b)->hash);
}

/* Every row checked and hashed; a person twice in the file is a bad row. */
static int cl_rows(struct caseload *cl, const struct cl_import *im, const struct csv_table *t,
    struct cl_entry *v)
{
	size_t i;

	for (i = 1; i < t->nrows; i++)
		if (cl_row(cl, im, &t->rows[i], &v[i - 1]) < 0)
			return -1;
	qsort(v, t->nrows - 1, sizeof(*v), cl_entry_cmp);
	for (i = 1; i + 1 < t->nrows; i++)
		if (strcmp(v[i - 1].hash, v[i].hash) == 0) {
			size_t a = v[i - 1].line, b = v[i].line;

			snprintf(im->err, im->errlen, "%s:%zu: error: column nino: the same person as "
			    "line %zu", im->name, a > b ? a : b, a > b ? b : a);
			return -1;
		}
	return 0;
}

static int cl_exec(struct caseload *cl, const char *sql)
{
	return sqlite3_exec(cl->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* The rows and the import's time, in the open transaction. */
static int cl_store(struct caseload *cl, const struct cl_entry *v, size_t n, int replace,
    time_t now)
{
	sqlite3_stmt *st = NULL;
	char when[32];
	size_t i;
	int rc = 0;

	if (replace && cl_exec(cl, "DELETE FROM person") < 0)
		return -1;
	if (sqlite3_prepare_v2(cl->db, "INSERT OR REPLACE INTO person (hash, holder, surname) "
	    "VALUES (?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		sqlite3_bind_text(st, 1, v[i].hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, v[i].holder, -1, SQLITE_STATIC);
		if (v[i].surname[0])
			sqlite3_bind_text(st, 3, v[i].surname, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 3);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (sqlite3_prepare_v2(cl->db, "INSERT OR REPLACE INTO meta (k, v) VALUES ('imported', ?)",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	snprintf(when, sizeof(when), "%lld", (long long)now);
	sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* UTF-8 (a BOM skipped by csv) or Windows-1252 converted. */
static int cl_parse(const char *name, const char *text, size_t len, struct csv_table *t,
    char *err, size_t errlen)
{
	struct sbuf b;
	int rc;

	if (utf8_valid(text, len))
		rc = csv_parse(text, len, t, err, errlen);
	else {
		sbuf_init(&b);
		sbuf_add_cp1252(&b, text, len);
		rc = csv_parse(b.data ? b.data : "", b.len, t, err, errlen);
		sbuf_free(&b);
	}
	if (rc < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: error: %s", name, why);
	} else if (t->nrows == 0) {
		snprintf(err, errlen, "%s: error: empty: no header row", name);
		csv_free(t);
		rc = -1;
	}
	return rc;
}

int caseload_import(struct caseload *cl, const char *name, const char *text, size_t len,
    const char *const *holders, size_t nholders, int replace, time_t now, size_t *nrows,
    char *err, size_t errlen)
{
	struct csv_table t;
	struct cl_cols cols;
	struct cl_import im = { name, &cols, holders, nholders, err, errlen };
	struct cl_entry *v;
	int rc;

	*nrows = 0;
	if (cl_parse(name, text, len, &t, err, errlen) < 0)
		return 1;
	if (cl_header(name, &t.rows[0], &cols, err, errlen) < 0) {
		csv_free(&t);
		return 1;
	}
	v = xcalloc(t.nrows, sizeof(*v));
	rc = cl_rows(cl, &im, &t, v) < 0 ? 1 : 0;
	if (rc == 0) {
		rc = -1;
		if (cl_exec(cl, "BEGIN IMMEDIATE") == 0) {
			if (cl_store(cl, v, t.nrows - 1, replace, now) == 0 && cl_exec(cl, "COMMIT") == 0)
				rc = 0;
			else {
				caseload_error(cl, err, errlen);
				cl_exec(cl, "ROLLBACK");
			}
		} else
			caseload_error(cl, err, errlen);
	}
	if (rc == 0)
		*nrows = t.nrows - 1;
	free(v);
	csv_free(&t);
	return rc;
}

/* ---- queries ------------------------------------------------------------ */

int caseload_lookup(struct caseload *cl, const char stem[NINO_STEM_LEN], const char *surname,
    struct cl_hit *hit)
{
	char hash[CL_HASH_HEX], sh[CL_HASH_HEX], *norm;
	sqlite3_stmt *st = NULL;
	const unsigned char *h, *s;
	int rc;

	memset(hit, 0, sizeof(*hit));
	if (cl_hmac(cl->person, stem, NINO_STEM_LEN, NULL, hash) < 0 ||
	    sqlite3_prepare_v2(cl->db, "SELECT holder, surname FROM person WHERE hash = ?", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	h = sqlite3_column_text(st, 0);
	s = sqlite3_column_text(st, 1);
	snprintf(hit->holder, sizeof(hit->holder), "%s", h ? (const char *)h : "");
	hit->surname = CL_SURNAME_UNCHECKED;
	norm = surname && s ? caseload_norm_surname(surname) : NULL;
	if (surname && s) {
		/* a form surname that normalises to nothing cannot be the holder's */
		hit->surname = CL_SURNAME_DIFFERS;
		if (norm && cl_hmac(cl->surname, stem, NINO_STEM_LEN, norm, sh) == 0 &&
		    strcmp(sh, (const char *)s) == 0)
			hit->surname = CL_SURNAME_MATCH;
	}
	free(norm);
	sqlite3_finalize(st);
	return 1;
}

static time_t cl_imported(struct caseload *cl)
{
	sqlite3_stmt *st = NULL;
	time_t t = 0;

	if (sqlite3_prepare_v2(cl->db, "SELECT v FROM meta WHERE k = 'imported'", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		t = (time_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return t;
}

int caseload_counts(struct caseload *cl, struct cl_count **v, size_t *n, time_t *imported)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*v = NULL;
	*n = 0;
	*imported = 0;
	if (sqlite3_prepare_v2(cl->db, "SELECT holder, count(*) FROM person GROUP BY holder "
	    "ORDER BY holder", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(st, 0);

		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		snprintf((*v)[*n].holder, sizeof((*v)[*n].holder), "%s", h ? (const char *)h : "");
		(*v)[*n].persons = (size_t)sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*v);
		*v = NULL;
		*n = 0;
		return -1;
	}
	*imported = cl_imported(cl);
	return 0;
}
