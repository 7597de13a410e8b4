/*
 * caseload - which organisation holds each participant: the provider's own
 * caseload (holder "internal") or a sub-contractor's (its policy id), as
 * imported daily from the case management system. Inbound routing reads it
 * to forward the department's mail to the holder (interface "Caseload").
 *
 * It lives in its own SQLite file, state_dir/caseload.db (mode 0600), and
 * holds no NINO and no surname in clear: a person is the HMAC-SHA256 of the
 * 8-character NINO stem, and a surname the HMAC of the stem and the
 * normalised surname (case folded, accents and white space removed), under
 * keys derived by HKDF from log_key_file with the caseload's own label, so
 * that neither the database nor the send log's person key reveals the other.
 *
 *	struct caseload *cl;
 *	if (caseload_open(dir, key, keylen, 1, &cl, err, sizeof err) < 0) ...
 *	caseload_import(cl, "today.csv", text, len, holders, nholders, 0, now, &n, err, sizeof err);
 *	caseload_lookup(cl, stem, surname, &hit);
 *	caseload_close(cl);
 *
 * An import is one transaction: a bad row rejects the whole file, with an
 * error naming the file, the row's line and the column; nothing else is
 * printed of the row (its values are personal data).
 */
#ifndef MG_CASELOAD_H
#define MG_CASELOAD_H

#include <stddef.h>
#include <time.h>

#include "nino.h"

#define CASELOAD_HOLDER_MAX 64
#define CASELOAD_INTERNAL "internal"

struct caseload;

/* Opens (write: creates) state_dir/caseload.db. 0, or -1 with a one-line error. */
int caseload_open(const char *state_dir, const unsigned char *key, size_t keylen, int write,
    struct caseload **out, char *err, size_t errlen);
void caseload_close(struct caseload *cl);

/*
 * Imports CSV text (header nino,holder and optional surname, any order and
 * case; UTF-8 with or without BOM, else Windows-1252). A holder must be one
 * of holders[] or "internal". replace: the file becomes the whole caseload;
 * otherwise its rows are added, replacing earlier entries of the same
 * persons. 0 imported (*nrows rows), 1 the file is bad (err:
 * "NAME:LINE: error: column C: ..."), -1 the database failed.
 */
int caseload_import(struct caseload *cl, const char *name, const char *text, size_t len,
    const char *const *holders, size_t nholders, int replace, time_t now, size_t *nrows,
    char *err, size_t errlen);

/* How a form's surname compares with the caseload's. */
enum cl_surname {
	CL_SURNAME_UNCHECKED,	/* the form or the caseload has none */
	CL_SURNAME_MATCH,
	CL_SURNAME_DIFFERS
};

struct cl_hit {
	char holder[CASELOAD_HOLDER_MAX + 1];
	enum cl_surname surname;
};

/* The holder of a person; surname may be NULL. 1 found, 0 not held, -1 error. */
int caseload_lookup(struct caseload *cl, const char stem[NINO_STEM_LEN], const char *surname,
    struct cl_hit *hit);

struct cl_count {
	char holder[CASELOAD_HOLDER_MAX + 1];
	size_t persons;
};

/* Persons per holder (by holder), and when last imported (0 never). 0 or -1. */
int caseload_counts(struct caseload *cl, struct cl_count **v, size_t *n, time_t *imported);

/*
 * The normalised form of a surname that is hashed: NFKD, case folded,
 * combining marks and white space removed, NFC. NULL when s is not valid
 * UTF-8 or nothing is left. Caller frees.
 */
char *caseload_norm_surname(const char *s);

/* The database's last error, "DIR/caseload.db: words". */
void caseload_error(struct caseload *cl, char *err, size_t errlen);

#endif
