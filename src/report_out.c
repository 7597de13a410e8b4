/*
 * report_out - the report as a terminal table, as CSV (one sheet: section,
 * item, detail, messages, recipients, count) and as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "safeout.h"
#include "tabout.h"
#include "util.h"
#include "verdict.h"

static const char *
ro_num(char buf[24], long v)
{
	snprintf(buf, 24, "%ld", v);
	return buf;
}

/* One breakdown with its total line; two key columns when heads[1] is set. */
static void
ro_breakdown(FILE *fp, const char *title, const char *k1, const char *k2,
    const struct report_breakdown *bd, long tm, long trc, const char *note)
{
	const char *heads[4] = { k1, k2, "messages", "recipients" };
	const char *const *h = k2 ? heads : (const char *const[]){ k1, "messages", "recipients" };
	size_t nc = k2 ? 4 : 3, i;
	struct tabout *t = tabout_new(h, nc);
	char a[24], b[24];

	tabout_limit(t, 0, 40);
	tabout_right(t, nc - 1);
	tabout_right(t, nc - 2);
	for (i = 0; i < bd->n; i++) {
		const char *row[4] = { bd->v[i].key, bd->v[i].key2, ro_num(a, bd->v[i].messages),
			ro_num(b, bd->v[i].recipients) };

		if (!k2)
			row[1] = row[2], row[2] = row[3];
		tabout_add(t, row);
	}
	if (trc >= 0) {
		/* tm < 0: the messages do not add up here, only the recipients */
		const char *m = tm >= 0 ? ro_num(a, tm) : "";
		const char *row[4] = { "total", k2 ? "" : m, k2 ? m : ro_num(b, trc), ro_num(b, trc) };

		tabout_add(t, row);
	}
	fprintf(fp, "%s\n", title);
	tabout_print(t, fp, TABOUT_TERMINAL);
	if (note)
		fprintf(fp, "(%s)\n", note);
	fputc('\n', fp);
	tabout_free(t);
}

static void
ro_incidents_table(const struct report *r, FILE *fp)
{
	static const char *const h[] = { "opened", "message_id", "recipient", "actions",
		"last_action", "state" };
	struct tabout *t = tabout_new(h, 6);
	char opened[26], n[24];
	size_t i;

	tabout_limit(t, 1, 28);
	tabout_limit(t, 2, 28);
	tabout_limit(t, 4, 18);
	for (i = 0; i < r->nincidents; i++) {
		const struct lq_incident *in = &r->incidents[i];
		const struct lq_action *last = &in->actions[in->nactions - 1];

		if (report_incident_actions(r, in) == 0 && !report_incident_open_at_end(r, in))
			continue;
		mgdate_london_format(in->actions[0].time, opened);
		tabout_add(t, (const char *const[]){ opened, in->message_id, in->recipient,
		    ro_num(n, report_incident_actions(r, in)), last->action,
		    report_incident_open_at_end(r, in) ? "open" : "closed" });
	}
	fprintf(fp, "Incidents: %ld opened, %ld actions taken, %ld still open at the end\n",
	    r->opened, r->actions, r->still_open);
	if (tabout_rows(t))
		tabout_print(t, fp, TABOUT_TERMINAL);
	fputc('\n', fp);
	tabout_free(t);
}

static void
ro_modes_table(const struct report *r, FILE *fp)
{
	static const char *const h[] = { "time", "mode", "by", "reason" };
	struct tabout *t = tabout_new(h, 4);
	char ts[26], te[26];
	size_t i;

	tabout_limit(t, 2, 16);
	tabout_limit(t, 3, 60);
	for (i = 0; i < r->nmodes; i++) {
		mgdate_london_format(r->modes[i].time, ts);
		tabout_add(t, (const char *const[]){ ts, r->modes[i].mode, r->modes[i].who,
		    r->modes[i].detail });
	}
	fprintf(fp, "Mode changes: %zu\n", r->nmodes);
	if (r->nmodes)
		tabout_print(t, fp, TABOUT_TERMINAL);
	tabout_free(t);
	fprintf(fp, "\nOutages: %zu\n", r->noutages);
	for (i = 0; i < r->noutages; i++) {
		mgdate_london_format(r->outages[i].start, ts);
		if (r->outages[i].end)
			mgdate_london_format(r->outages[i].end, te);
		fprintf(fp, "  from %s to %s\n", ts, r->outages[i].end ? te : "(still going)");
	}
	fputc('\n', fp);
}

void
report_write_table(const struct report *r, FILE *fp)
{
	char a[26], b[26], line[700];
	char *title = safeout_term_dup(r->title);

	mgdate_london_format(r->since, a);
	mgdate_london_format(r->until, b);
	fprintf(fp, "Send log report: %s\n(London time, %s to %s)\n\n", title, a, b);
	free(title);
	ro_breakdown(fp, "Messages by process", "process", NULL, &r->process, r->messages,
	    r->recipients, NULL);
	ro_breakdown(fp, "By organisation and class", "org", "class", &r->org, -1, r->recipients,
	    "a message to several organisations counts once under each; recipients add up to the total");
	ro_breakdown(fp, "By outcome", "outcome", NULL, &r->outcome, r->messages, r->recipients,
	    NULL);
	ro_breakdown(fp, "By reason code", "reason", NULL, &r->reason, -1, -1,
	    "a message with several reasons counts under each");
	ro_incidents_table(r, fp);
	ro_modes_table(r, fp);
	report_verify_line(r, line, sizeof(line));
	fprintf(fp, "Chain: %s\nHead: %s\n", line, r->head);
}

/* One CSV line: section, item, detail, messages, recipients, count (negative: empty). */
static void
ro_csv(FILE *fp, const char *sec, const char *item, const char *detail, long m, long rc,
    long count)
{
	struct sbuf b;

	sbuf_init(&b);
	safeout_csv(&b, sec);
	sbuf_addc(&b, ',');
	safeout_csv(&b, item);
	sbuf_addc(&b, ',');
	safeout_csv(&b, detail);
	if (m >= 0)
		sbuf_printf(&b, ",%ld,%ld,", m, rc);
	else
		sbuf_adds(&b, ",,,");
	if (count >= 0)
		sbuf_printf(&b, "%ld", count);
	sbuf_adds(&b, "\r\n");
	fwrite(b.data, 1, b.len, fp);
	sbuf_free(&b);
}

static void
ro_csv_bd(FILE *fp, const char *sec, const struct report_breakdown *bd)
{
	size_t i;

	for (i = 0; i < bd->n; i++)
		ro_csv(fp, sec, bd->v[i].key ? bd->v[i].key : "-", bd->v[i].key2, bd->v[i].messages,
		    bd->v[i].recipients, -1);
}

void
report_write_csv(const struct report *r, FILE *fp)
{
	char a[20], b[20], line[700];
	size_t i;

	fputs("section,item,detail,messages,recipients,count\r\n", fp);
	mgdate_utc_format(r->since, a);
	mgdate_utc_format(r->until, b);
	ro_csv(fp, "period", r->title, NULL, -1, -1, -1);
	ro_csv(fp, "period", "from (UTC)", a, -1, -1, -1);
	ro_csv(fp, "period", "to (UTC)", b, -1, -1, -1);
	ro_csv_bd(fp, "process", &r->process);
	ro_csv_bd(fp, "org", &r->org);
	ro_csv_bd(fp, "outcome", &r->outcome);
	ro_csv_bd(fp, "reason", &r->reason);
	ro_csv(fp, "total", "all", NULL, r->messages, r->recipients, -1);
	ro_csv(fp, "incidents", "opened", NULL, -1, -1, r->opened);
	ro_csv(fp, "incidents", "actions", NULL, -1, -1, r->actions);
	ro_csv(fp, "incidents", "still open", NULL, -1, -1, r->still_open);
	for (i = 0; i < r->nmodes; i++) {
		mgdate_utc_format(r->modes[i].time, a);
		ro_csv(fp, "mode", a, r->modes[i].detail, -1, -1, -1);
	}
	for (i = 0; i < r->noutages; i++) {
		mgdate_utc_format(r->outages[i].start, a);
		if (r->outages[i].end)
			mgdate_utc_format(r->outages[i].end, b);
		ro_csv(fp, "outage", a, r->outages[i].end ? b : "still going", -1, -1, -1);
	}
	report_verify_line(r, line, sizeof(line));
	ro_csv(fp, "chain", "verification", line, -1, -1, -1);
	ro_csv(fp, "chain", "head", r->head, -1, -1, -1);
}

static void
ro_json_bd(struct sbuf *b, const char *name, const char *k1, const char *k2,
    const struct report_breakdown *bd)
{
	size_t i;

	sbuf_printf(b, ",\n \"%s\": [", name);
	for (i = 0; i < bd->n; i++) {
		sbuf_printf(b, "%s{\"%s\": ", i ? ", " : "", k1);
		json_add_string(b, bd->v[i].key);
		if (k2) {
			sbuf_printf(b, ", \"%s\": ", k2);
			json_add_string(b, bd->v[i].key2);
		}
		sbuf_printf(b, ", \"messages\": %ld, \"recipients\": %ld}", bd->v[i].messages,
		    bd->v[i].recipients);
	}
	sbuf_addc(b, ']');
}

static void
ro_json_time(struct sbuf *b, const char *name, time_t t)
{
	char ts[21];

	sendlog_time(t, ts);
	sbuf_printf(b, "\"%s\": \"%s\"", name, ts);
}

static void
ro_json_events(const struct report *r, struct sbuf *b)
{
	size_t i;

	sbuf_printf(b, ",\n \"incidents\": {\"opened\": %ld, \"actions\": %ld, \"still_open\": %ld}",
	    r->opened, r->actions, r->still_open);
	sbuf_adds(b, ",\n \"mode_changes\": [");
	for (i = 0; i < r->nmodes; i++) {
		sbuf_adds(b, i ? ", {" : "{");
		ro_json_time(b, "time", r->modes[i].time);
		sbuf_adds(b, ", \"mode\": ");
		json_add_string(b, r->modes[i].mode);
		sbuf_adds(b, ", \"by\": ");
		json_add_string(b, r->modes[i].who);
		sbuf_adds(b, ", \"detail\": ");
		json_add_string(b, r->modes[i].detail);
		sbuf_addc(b, '}');
	}
	sbuf_adds(b, "],\n \"outages\": [");
	for (i = 0; i < r->noutages; i++) {
		sbuf_adds(b, i ? ", {" : "{");
		ro_json_time(b, "start", r->outages[i].start);
		if (r->outages[i].end) {
			sbuf_adds(b, ", ");
			ro_json_time(b, "end", r->outages[i].end);
		} else {
			sbuf_adds(b, ", \"end\": null");
		}
		sbuf_addc(b, '}');
	}
	sbuf_addc(b, ']');
}

void
report_write_json(const struct report *r, FILE *fp)
{
	struct sbuf b;
	char line[700];

	sbuf_init(&b);
	sbuf_adds(&b, "{\"title\": ");
	json_add_string(&b, r->title);
	sbuf_adds(&b, ", ");
	ro_json_time(&b, "since", r->since);
	sbuf_adds(&b, ", ");
	ro_json_time(&b, "until", r->until);
	sbuf_printf(&b, ",\n \"totals\": {\"messages\": %ld, \"recipients\": %ld}", r->messages,
	    r->recipients);
	ro_json_bd(&b, "by_process", "process", NULL, &r->process);
	ro_json_bd(&b, "by_org", "org", "class", &r->org);
	ro_json_bd(&b, "by_outcome", "outcome", NULL, &r->outcome);
	ro_json_bd(&b, "by_reason", "reason", NULL, &r->reason);
	ro_json_events(r, &b);
	report_verify_line(r, line, sizeof(line));
	sbuf_printf(&b, ",\n \"chain\": {\"intact\": %s, \"result\": ", r->verify_rc == 0 ? "true" :
	    "false");
	json_add_string(&b, line);
	sbuf_adds(&b, ", ");
	ro_json_time(&b, "checked_at", r->made);
	sbuf_printf(&b, ", \"head\": \"%s\"}}\n", r->head);
	fwrite(b.data, 1, b.len, fp);
	sbuf_free(&b);
}
