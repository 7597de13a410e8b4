/*
 * ctl_deletion - "incident misdirected ... --action deletion-requested
 * --send": finds when the message went to that recipient, loads the policy
 * (the designated inbox) and sends the request to delete it (deletion.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "ctl_deletion.h"
#include "deletion.h"
#include "diag.h"
#include "policy.h"

/* The time of the sent row for the pair; 0 none, -1 unreadable. */
static time_t cd_sent_at(struct sendlog *sl, const char *mid, const char *rcpt)
{
	sqlite3_stmt *st;
	time_t t = 0;
	int rc;

	if (sqlite3_prepare_v2(sendlog_db(sl), "SELECT min(time) FROM log WHERE kind = 'message' "
	    "AND outcome = 'sent' AND message_id = ? AND recipient = lower(?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rcpt, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		t = (time_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? t : -1;
}

int ctl_deletion_send(const struct config *cfg, struct sendlog *sl, const char *mid,
    const char *rcpt, char *id, size_t idlen)
{
	struct policy *pol = NULL;
	struct diag d;
	char err[512];
	time_t sent = cd_sent_at(sl, mid, rcpt);
	int rc;

	if (sent <= 0) {
		fprintf(stderr, "incident: error: --send needs the log's sent row for %s to %s "
		    "(its date goes in the request)\n", mid, rcpt);
		return -1;
	}
	diag_init(&d);
	if (policy_load(cfg->policy_file, cfg->template_dir, &pol, &d) < 0) {
		diag_print(&d, stderr);
		diag_free(&d);
		fprintf(stderr, "incident: error: the policy is needed to send from the designated "
		    "inbox\n");
		return -1;
	}
	diag_free(&d);
	rc = deletion_send(cfg, pol, mid, rcpt, sent, time(NULL), id, idlen, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	policy_free(pol);
	return rc;
}
