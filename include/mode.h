/*
 * mode - normal, outage, clerical or suspended: whether mailgate may send.
 *
 * The department's rules: revert to clerical methods when an outage lasts,
 * or is expected to last, 48 hours; suspend email when the department says
 * so; resume only after telling the department. The mode lives in the send
 * log's state (it survives purges) and every change is a log row with its
 * reason and who made it, written in one transaction.
 *
 *	struct mode_state m;
 *	if (mode_get(sl, &m) == 0 && m.mode != MODE_NORMAL) ... hold the message
 *	mode_set(sl, MODE_CLERICAL, "provider IT failure", "alice", time(NULL), err, sizeof err);
 */
#ifndef MG_MODE_H
#define MG_MODE_H

#include <stddef.h>
#include <time.h>

#include "sendlog.h"

enum mg_mode { MODE_NORMAL, MODE_OUTAGE, MODE_CLERICAL, MODE_SUSPENDED };

struct mode_state {
	enum mg_mode mode;
	time_t since;		/* 0 when never changed */
	char who[64];
	char reason[512];
};

const char *mode_name(enum mg_mode m);
/* 0 (normal when never set), -1 when the state cannot be read. */
int mode_get(struct sendlog *sl, struct mode_state *out);
/* Changes the mode; resuming (to normal) needs the department-informed text as reason. */
int mode_set(struct sendlog *sl, enum mg_mode m, const char *reason, const char *who, time_t now,
    char *err, size_t errlen);
/* The same, the mode counted from since (an outage: its first failure); the row is at now. */
int mode_set_since(struct sendlog *sl, enum mg_mode m, const char *reason, const char *who,
    time_t now, time_t since, char *err, size_t errlen);

/*
 * The department's newest re-introduction notice (seed ¶62-63): it never
 * resumes by itself; status shows it while mailgate is not normal and
 * "mode resume" names it. Kept in the state beside the mode.
 */
struct mode_reintro {
	char message_id[256];	/* without <> */
	char from[256];		/* the department inbox it came from */
	time_t when;		/* when mailgate read it */
};

/* 1 found, 0 none ever, -1 unreadable. */
int mode_reintro_get(struct sendlog *sl, struct mode_reintro *out);
/* Records r as the newest notice; 0, or -1 with err. */
int mode_reintro_set(struct sendlog *sl, const struct mode_reintro *r, char *err, size_t errlen);

#endif
