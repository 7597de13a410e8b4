/*
 * ctl_common - what the send-log commands of mailgatectl share: who is
 * running them, whether they may write, and opening the log with the key
 * from the configuration.
 */
#ifndef MG_CTL_COMMON_H
#define MG_CTL_COMMON_H

#include "config.h"
#include "sendlog.h"

/*
 * Who runs the command, into buf, printable ASCII only: the name of the
 * login uid (/proc/self/loginuid, kept by the kernel across su and sudo);
 * when that is unset, the real uid's name, or "SUDO_USER via REAL" when
 * SUDO_USER names the account SUDO_UID gives (an unproven claim, so the
 * real account stays beside it). A lone SUDO_USER is ignored.
 */
const char *ctl_who(char *buf, size_t len);
/* 1 when the caller owns state_dir (may write), else prints why and returns 0. */
int ctl_may_write(const struct config *cfg);
/*
 * Opens the send log; need_key: the log key must be readable (NINO
 * lookups, writers). A reader who does not own state_dir opens the
 * daemon's published copy (never the live database, whose locks it could
 * take), with a note on stderr when the copy is over CTL_COPY_STALE
 * seconds old. Prints a one-line error and returns NULL on failure.
 */
#define CTL_COPY_STALE 120
struct sendlog *ctl_open_log(const struct config *cfg, int write, int need_key);

#endif
