/*
 * rewrite - the header rewrite applied to a message just before it is sent
 * (interface "Folders and sending"), on raw bytes.
 *
 * From becomes the designated inbox with its name as display name; Sender,
 * Reply-To, Bcc, Return-Path, Disposition-Notification-To,
 * Return-Receipt-To and every Resent-* field are removed; Date is added if
 * absent; a missing Message-ID is added as <hex SHA-256 of the raw
 * message>@<designated domain>, so a restart derives the same one. Every
 * other byte, folded fields included, is kept as it was. Pure: no I/O.
 *
 *	struct sbuf out; char *mid;
 *	if (rewrite_message(raw, len, addr, name, time(NULL), &out, &mid) < 0) ...
 */
#ifndef MG_REWRITE_H
#define MG_REWRITE_H

#include <stddef.h>
#include <time.h>

#include "util.h"

/*
 * Rewrites raw (len bytes) into out (initialised by the caller). *msgid
 * receives the Message-ID the sent message carries, without <>, malloc'd.
 * 0 ok; -1 when the message has no header section (no blank line) or the
 * designated address has no domain.
 */
int rewrite_message(const char *raw, size_t len, const char *address, const char *name,
    time_t now, struct sbuf *out, char **msgid);

/*
 * The same in the message's own buffer, so that a large message is held
 * once: *raw (malloc'd, len bytes and a NUL) is replaced by the rewritten
 * message and *len by its length. 0; -1 as above, raw untouched.
 */
int rewrite_message_owned(char **raw, size_t *len, const char *address, const char *name,
    time_t now, char **msgid);

/*
 * Only the rewritten header section into out, for a message whose body
 * stays where it is (a memfd, msgfd.h): the message sent is out followed
 * by raw from *body (len when it has no body: out then ends with the
 * blank line). 0; -1 as above.
 */
int rewrite_message_head(const char *raw, size_t len, const char *address, const char *name,
    time_t now, struct sbuf *out, char **msgid, size_t *body);

/* The Message-ID derived for a message lacking one: "HEX@domain" (malloc'd, no <>). */
char *rewrite_derived_id(const char *raw, size_t len, const char *address);

/*
 * The unfolded value of the first field called name in the header section
 * of raw, trimmed, malloc'd; NULL if absent.
 */
char *rewrite_header_value(const char *raw, size_t len, const char *name);

/* The Message-ID value of raw without <> and trimmed; NULL if absent or empty. */
char *rewrite_message_id(const char *raw, size_t len);

/* An RFC 5322 date ("Mon, 23 Nov 2026 04:40:00 +0000") for t, in UTC, into buf (>= 40). */
void rewrite_date(time_t t, char *buf, size_t n);

/*
 * Appends "name: value" to b as RFC 2047 encoded words when value holds
 * bytes outside printable ASCII, folded at 78 columns, ending with eol.
 */
void rewrite_add_text_field(struct sbuf *b, const char *name, const char *value,
    const char *eol);

/* Appends a mailbox: "Display Name" <addr> with the name quoted or encoded as needed. */
void rewrite_add_mailbox(struct sbuf *b, const char *name, const char *address);

#endif
