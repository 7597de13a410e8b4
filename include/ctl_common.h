/*
 * ctl_common - what the send-log commands of mailgatectl share: who is
 * running them, whether they may write, and opening the log with the key
 * from the configuration.
 */
#ifndef MG_CTL_COMMON_H
#define MG_CTL_COMMON_H

#include "config.h"
#include "sendlog.h"

/* SUDO_USER, else the real user's login name (into buf). */
const char *ctl_who(char *buf, size_t len);
/* 1 when the caller owns state_dir (may write), else prints why and returns 0. */
int ctl_may_write(const struct config *cfg);
/*
 * Opens the send log; need_key: the log key must be readable (NINO
 * lookups, writers). Prints a one-line error and returns NULL on failure.
 */
struct sendlog *ctl_open_log(const struct config *cfg, int write, int need_key);
/*
 * 1 when state_dir holds no send log yet (the daemon never ran): read-only
 * commands then say so ("no send log yet") and exit 0 instead of failing.
 */
int ctl_log_absent(const struct config *cfg);

#endif
