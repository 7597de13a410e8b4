/*
 * ctl_deletion - the --send of "incident misdirected --action
 * deletion-requested": sends the sub-contractor the request to delete the
 * record (seed ¶55) before the action is logged. Prints one line on failure.
 */
#ifndef MG_CTL_DELETION_H
#define MG_CTL_DELETION_H

#include <stddef.h>

#include "config.h"
#include "sendlog.h"

/* 0 sent (id: the request's Message-ID), -1 not (printed why). */
int ctl_deletion_send(const struct config *cfg, struct sendlog *sl, const char *mid,
    const char *rcpt, char *id, size_t idlen);

#endif
