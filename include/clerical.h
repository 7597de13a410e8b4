/*
 * clerical - the clerical copies of forms that could not go by email
 * (interface "Outages, clerical mode and suspension", seed ¶59-62).
 *
 * In clerical or suspended mode the outbound workflow calls clerical_make()
 * for each Outbox message: state_dir/clerical/ID.txt and ID.html (a
 * printable A4 page) hold the form's title and code and its fields in the
 * template's order (a list form: its CSV rows as a table), or the body text
 * when no template matched, and nothing else of the message; ID.meta says
 * which message it is; index.html lists what waits. Every file is 0640, in
 * the group of state_dir (the log readers). ID is the first 16 hex digits
 * of SHA-256 over the Message-ID, so a message makes the same copy again.
 *
 * The state (state.h) remembers each Message-ID's copy, waiting or done,
 * past the copy's removal, so that nothing handled clerically goes by email
 * too (already-clerical). clerical_done() removes the copy and writes its
 * log row with the state in one transaction; clerical_purge() removes the
 * copies older than the log's retention.
 *
 *	struct clerical_form f = { .message_id = id, .tpl = tpl, .mr = &mr };
 *	if (clerical_state(log, id) == CLERICAL_NONE) clerical_make(log, dir, &f, now, cid, ...);
 */
#ifndef MG_CLERICAL_H
#define MG_CLERICAL_H

#include <stddef.h>
#include <time.h>

#include "mime.h"
#include "sendlog.h"
#include "template.h"
#include "util.h"

#define CLERICAL_DIR "clerical"
#define CLERICAL_ID_LEN 16

enum clerical_state { CLERICAL_NONE, CLERICAL_WAITING, CLERICAL_DONE };

/* What a copy is made from (all borrowed). */
struct clerical_form {
	const char *message_id;
	const char *process;		/* the process id; NULL unknown */
	const struct template *tpl;	/* NULL: no template matched, the body text is copied */
	const struct mime_result *mr;
};

/* One waiting copy, as clerical_list() reads it. */
struct clerical_entry {
	char id[CLERICAL_ID_LEN + 1];
	char *message_id;
	time_t made;
	char *process;		/* "-" unknown */
	char *form;		/* "TITLE (CODE)", or "no template" */
};

void clerical_id(const char *message_id, char id[CLERICAL_ID_LEN + 1]);

/* The Message-ID's copy: CLERICAL_NONE, _WAITING, _DONE; -1 the state is unreadable. */
int clerical_state(struct sendlog *log, const char *message_id);

/* The copy as text and as printable HTML (pure: the unit tests read them). */
void clerical_render_text(const struct clerical_form *f, time_t made, struct sbuf *out);
void clerical_render_html(const struct clerical_form *f, time_t made, struct sbuf *out);

/* Writes the copy and index.html and records it waiting; id filled. 0, -1 with err. */
int clerical_make(struct sendlog *log, const char *state_dir, const struct clerical_form *f,
    time_t now, char id[CLERICAL_ID_LEN + 1], char *err, size_t errlen);

/* The waiting copies, oldest first; 0 (n may be 0, also when the folder is absent), -1. */
int clerical_list(const char *state_dir, struct clerical_entry **v, size_t *n, char *err,
    size_t errlen);
void clerical_list_free(struct clerical_entry *v, size_t n);

/* The path of a waiting copy's file (ext "txt" or "html"); malloc'd, NULL bad id. */
char *clerical_path(const char *state_dir, const char *id, const char *ext);

/* Marks it done (a log row with who and note), removes it, rewrites the index. 0, 1 no such copy, -1. */
int clerical_done(struct sendlog *log, const char *state_dir, const char *id, const char *note,
    const char *who, time_t now, char *err, size_t errlen);

/* Removes copies made before cutoff (never kept past the log's retention); how many, -1. */
int clerical_purge(const char *state_dir, time_t cutoff, char *err, size_t errlen);

/* Rewrites index.html from what waits. 0, -1 with err. */
int clerical_index(const char *state_dir, char *err, size_t errlen);

#endif
