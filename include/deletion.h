/*
 * deletion - the request to delete a record sent in error (seed ¶55;
 * interface: incident misdirected --action deletion-requested --send):
 * drafted from template_dir/notice-deletion-request.txt (fields
 * {{message_id}}, {{date_sent}}, {{designated_inbox}}, {{today}}; no NINO
 * can reach it: only those are filled) and sent from the designated inbox
 * to the one recipient through the submission server.
 *
 *	char id[256], err[512];
 *	if (deletion_send(cfg, pol, mid, rcpt, sent_at, now, id, sizeof id, err, sizeof err) < 0) ...
 */
#ifndef MG_DELETION_H
#define MG_DELETION_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "policy.h"
#include "util.h"

/* The request's bytes (CRLF) into out; *id its Message-ID (malloc'd, no <>). 0, or -1 with err. */
int deletion_build(const char *template_dir, const struct policy *pol, const char *message_id,
    const char *recipient, time_t sent_at, time_t now, struct sbuf *out, char **id, char *err,
    size_t errlen);

/* Builds and sends it; id receives its Message-ID. 0 sent (250), -1 with err. */
int deletion_send(const struct config *cfg, const struct policy *pol, const char *message_id,
    const char *recipient, time_t sent_at, time_t now, char *id, size_t idlen, char *err,
    size_t errlen);

#endif
