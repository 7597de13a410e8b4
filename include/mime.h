/*
 * mime - turns one raw message into what the rules look at: decoded headers,
 * recipients, the texts where template fields are read, the attachments that
 * cannot be inspected, and the participant records found anywhere.
 *
 * mime_analyse() does the whole job in the calling process with libetpan's
 * MIME parser, and must only be called on untrusted input inside the worker
 * (see worker.h): Debian's libetpan can crash on hostile headers. It never
 * fails open: anything that cannot be parsed completely makes the result
 * MIME_MALFORMED with a one-line detail. Limits (depth, parts, decoded size,
 * Office document entries and ratios) come from struct mime_limits.
 *
 * A result is self-contained (it owns every string) and can be encoded to
 * bytes and decoded again, which is how the worker hands it back.
 */
#ifndef MG_MIME_H
#define MG_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "nino.h"
#include "util.h"

struct mime_limits {
	size_t max_message_bytes;	/* the policy's max-message-bytes */
	unsigned max_depth;		/* 8 */
	unsigned max_parts;		/* 256 */
	size_t max_decoded;		/* 4 x max_message_bytes */
	unsigned zip_max_entries;	/* 1000 */
	size_t zip_max_total;		/* 50 MiB uncompressed */
	unsigned zip_max_ratio;		/* 100 */
};

void mime_limits_default(struct mime_limits *lim, size_t max_message_bytes);

enum mime_status { MIME_OK = 0, MIME_MALFORMED = 1, MIME_TOO_LARGE = 2 };

/* A decoded text that template fields may be read from. */
struct mime_text {
	char *name;			/* file name; NULL for the body */
	char *text;			/* UTF-8, NUL-terminated */
	size_t len;
};

struct mime_result {
	enum mime_status status;
	char *detail;			/* one line, for MALFORMED / TOO_LARGE */
	size_t size;			/* size with CRLF line endings */

	char *subject;			/* RFC 2047 decoded, UTF-8; NULL if absent */
	char *message_id;		/* without <>; NULL if absent */
	char *from;			/* addr-spec, lower case; NULL if absent */
	char **rcpts;			/* To, Cc, Bcc; groups expanded; lower case; unique */
	size_t nrcpts;

	struct mime_text body;		/* plain part, else rendered HTML; text NULL if none */
	struct mime_text *docs;		/* attached documents and text files */
	size_t ndocs;
	struct mime_text *csvs;		/* attachments recognised as CSV */
	size_t ncsvs;
	char **uninspectable;		/* one per part: "file.pdf (application/pdf)" */
	size_t nuninspectable;

	struct nino_set records;	/* distinct persons found in every searched place */
	char **record_where;		/* records.n: where each was first found ("the body");
					 * NULL, or an entry NULL, when not known */
	int subject_records;		/* persons found in the subject */

	/*
	 * A delivery report (RFC 3464: the top part multipart/report;
	 * report-type=delivery-status): its pieces as found, for dsn_parse()
	 * (dsn.h). Message-IDs without <>; each NULL when absent.
	 */
	struct mime_report {
		int is_dsn;
		char *status;		/* the (global-)delivery-status part, decoded, <= 64 KiB */
		char *orig_id;		/* Message-ID of the returned message or headers */
		char *in_reply_to;	/* the report's In-Reply-To, else its first References */
	} report;
};

void mime_result_init(struct mime_result *r);
void mime_result_free(struct mime_result *r);
/* Frees the decoded texts (body, docs, csvs) once nothing judges them again; the rest stays. */
void mime_result_drop_texts(struct mime_result *r);

/* The size of a message counted with CRLF line endings (a bare LF counts two). */
size_t mime_crlf_size(const char *msg, size_t len);

/*
 * Analyses a whole message. Returns 0; the outcome is in out->status. A
 * message over lim->max_message_bytes (mime_crlf_size) is not parsed at all:
 * MIME_TOO_LARGE, a resource guard only; whether it is too large for the
 * rules is verdict_size_exceeds()'s call.
 */
int mime_analyse(const char *msg, size_t len, const struct mime_limits *lim,
    struct mime_result *out);

/* Byte encoding of a result, for the pipe between worker and parent. */
void mime_result_encode(const struct mime_result *r, struct sbuf *out);
/*
 * The same bytes handed to put piece by piece, the texts straight from the
 * result (the worker streams them to its socket: no second copy of a
 * document); put returns 0, or -1 to stop. 0, or -1 when put failed.
 * mime_result_encoded_len() is their number, for a length sent first.
 */
typedef int mime_put_fn(void *ctx, const void *p, size_t n);
int mime_result_encode_to(const struct mime_result *r, mime_put_fn *put, void *ctx);
uint64_t mime_result_encoded_len(const struct mime_result *r);
/* 0 ok, -1 when the bytes are not a complete, valid encoding. */
int mime_result_decode(const char *buf, size_t len, struct mime_result *out);
/*
 * The same from a source read piece by piece: get copies exactly n more
 * bytes into dst (0), or -1 (cut short, late, broken). len is the
 * announced length of the encoding; it must be used exactly. Each string
 * is read straight into its own allocation, which grows as bytes arrive:
 * the daemon decodes the worker's answer from the socket without holding
 * the encoded bytes too.
 */
typedef int mime_get_fn(void *ctx, void *dst, size_t n);
int mime_result_decode_from(mime_get_fn *get, void *ctx, uint64_t len,
    struct mime_result *out);
/* 1 when two results say the same in every field (records in the same order). */
int mime_result_equal(const struct mime_result *a, const struct mime_result *b);

/*
 * The pre-filter for headers Debian's libetpan crashes on (libetpan-notes
 * 6.3): 1 when the message must not reach mailmime_parse(), with a detail.
 */
int mime_prefilter(const char *msg, size_t len, const char **detail);

#endif
