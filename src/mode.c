/*
 * mode - the sending mode and its changes; see include/mode.h. The state
 * value is "MODE<TAB>SINCE<TAB>WHO<TAB>REASON".
 */
#include "mode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "util.h"

static const char *const mode_names[] = { "normal", "outage", "clerical", "suspended" };

const char *
mode_name(enum mg_mode m)
{
	return (unsigned)m < 4 ? mode_names[m] : "unknown";
}

int
mode_get(struct sendlog *sl, struct mode_state *out)
{
	char *v = NULL, *f[4], *p;
	int i;

	memset(out, 0, sizeof(*out));
	out->mode = MODE_NORMAL;
	i = state_get(sl, "mode", &v);
	if (i <= 0)
		return i;
	for (i = 0, p = v; i < 4; i++) {
		f[i] = p;
		p = strchr(p, '\t');
		if (p == NULL && i < 3) {
			free(v);
			return -1;
		}
		if (p)
			*p++ = '\0';
	}
	for (i = 0; i < 4; i++)
		if (strcmp(f[0], mode_names[i]) == 0)
			out->mode = (enum mg_mode)i;
	out->since = (time_t)strtoll(f[1], NULL, 10);
	snprintf(out->who, sizeof(out->who), "%s", f[2]);
	snprintf(out->reason, sizeof(out->reason), "%s", f[3]);
	free(v);
	return 0;
}

/* Tabs and line breaks would break the state value and the log's one-line output. */
static char *
mode_clean(const char *s)
{
	char *c = xstrdup(s ? s : ""), *p;

	for (p = c; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return c;
}

int
mode_set(struct sendlog *sl, enum mg_mode m, const char *reason, const char *who, time_t now,
    char *err, size_t errlen)
{
	struct sendlog_row r;
	char *rs = mode_clean(reason), *ws = mode_clean(who), *value, *detail;
	int rc;

	if (*str_trim(rs) == '\0') {
		snprintf(err, errlen, m == MODE_NORMAL ? "resuming needs the text saying how the "
		    "department was informed" : "a reason is needed");
		free(rs);
		free(ws);
		return -1;
	}
	value = xasprintf("%s\t%lld\t%s\t%s", mode_name(m), (long long)now, ws, rs);
	detail = xasprintf("%s: %s", mode_name(m), rs);
	memset(&r, 0, sizeof(r));
	r.time = now;
	r.kind = "mode";
	r.records = -1;
	r.outcome = mode_name(m);
	r.submitted_by = ws;
	r.detail = detail;
	rc = state_set(sl, &r, "mode", value, err, errlen);
	free(value);
	free(detail);
	free(rs);
	free(ws);
	return rc;
}
