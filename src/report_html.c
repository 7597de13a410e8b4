/*
 * report_html - the monthly return as one self-contained printable page:
 * inline CSS, an inline SVG chart, no script, no link to anything. The
 * figures are the report's; persons never appear (the report holds none).
 */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "util.h"

static void
rh_esc(FILE *fp, const char *s)
{
	if (s == NULL) {
		fputs("&ndash;", fp);
		return;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			fputs("&amp;", fp);
		else if (c == '<')
			fputs("&lt;", fp);
		else if (c == '>')
			fputs("&gt;", fp);
		else if (c == '"')
			fputs("&quot;", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "&#xfffd;");	/* no control reaches the page */
		else
			fputc(c, fp);
	}
}

static const char rh_css[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10pt;color:#111;margin:1.5cm}"
    "h1{font-size:17pt;margin:0 0 .2em}h2{font-size:12pt;margin:1.2em 0 .4em;"
    "border-bottom:1px solid #888}p.sub{margin:0;color:#444}"
    "table{border-collapse:collapse;margin:.3em 0}th,td{padding:2px 8px;text-align:left;"
    "border-bottom:1px solid #ddd}td.n,th.n{text-align:right}tr.total td{font-weight:bold;"
    "border-top:2px solid #444}.box{display:inline-block;border:1px solid #888;padding:6px 14px;"
    "margin:4px 8px 4px 0}.box b{font-size:15pt;display:block}"
    ".ok{color:#060}.bad{color:#a00;font-weight:bold}footer{margin-top:2em;font-size:8.5pt;"
    "border-top:1px solid #888;padding-top:.5em;word-break:break-all}"
    "svg text{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10px}"
    "@page{size:A4;margin:1cm}@media print{body{margin:0}h2{break-after:avoid}"
    "table,svg{break-inside:avoid}}";

static long
rh_sum(const long *v, int n)
{
	long s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += v[i];
	return s;
}

static void
rh_breakdown(FILE *fp, const char *title, const char *k1, const char *k2,
    const struct report_breakdown *bd, long tm, long trc, const char *note)
{
	size_t i;

	fprintf(fp, "<h2>%s</h2>\n<table><tr><th>%s</th>", title, k1);
	if (k2)
		fprintf(fp, "<th>%s</th>", k2);
	fputs("<th class=n>messages</th><th class=n>recipients</th></tr>\n", fp);
	for (i = 0; i < bd->n; i++) {
		fputs("<tr><td>", fp);
		rh_esc(fp, bd->v[i].key);
		if (k2) {
			fputs("</td><td>", fp);
			rh_esc(fp, bd->v[i].key2);
		}
		fprintf(fp, "</td><td class=n>%ld</td><td class=n>%ld</td></tr>\n", bd->v[i].messages,
		    bd->v[i].recipients);
	}
	if (tm >= 0)
		fprintf(fp, "<tr class=total><td%s>total</td><td class=n>%ld</td>"
		    "<td class=n>%ld</td></tr>\n", k2 ? " colspan=2" : "", tm, trc);
	else if (trc >= 0)	/* only the recipients add up here */
		fprintf(fp, "<tr class=total><td%s>total recipients</td><td></td>"
		    "<td class=n>%ld</td></tr>\n", k2 ? " colspan=2" : "", trc);
	fputs("</table>\n", fp);
	if (note)
		fprintf(fp, "<p class=sub>%s</p>\n", note);
}

/* One strip per process: a day's sent messages up (blue), refused down (red). */
static void
rh_chart(const struct report *r, FILE *fp)
{
	const int left = 175, dw = 16, bh = 26, gap = 16;
	int w = left + r->ndays * dw + 10, h = (int)r->process.n * (2 * bh + gap) + 30, d;
	long max = 1;
	size_t p;

	for (p = 0; p < r->process.n; p++)
		for (d = 0; d < r->ndays; d++) {
			if (r->process.v[p].sent[d] > max)
				max = r->process.v[p].sent[d];
			if (r->process.v[p].refused[d] > max)
				max = r->process.v[p].refused[d];
		}
	fprintf(fp, "<h2>Sent and refused messages per process per day</h2>\n"
	    "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d'>\n",
	    w, h, w, h);
	for (p = 0; p < r->process.n; p++) {
		const struct report_line *l = &r->process.v[p];
		int y0 = (int)p * (2 * bh + gap) + bh + 4;

		fprintf(fp, "<text x='0' y='%d'>", y0 - 4);
		rh_esc(fp, l->key ? l->key : "(no process)");
		fprintf(fp, "</text><text x='0' y='%d' fill='#555'>sent %ld, refused %ld</text>\n",
		    y0 + 10, rh_sum(l->sent, r->ndays), rh_sum(l->refused, r->ndays));
		fprintf(fp, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#888'/>\n", left, y0,
		    left + r->ndays * dw, y0);
		for (d = 0; d < r->ndays; d++) {
			int hs = (int)(l->sent[d] * bh / max), hr = (int)(l->refused[d] * bh / max);

			if (l->sent[d])
				fprintf(fp, "<rect x='%d' y='%d' width='%d' height='%d' fill='#2b6cb0'/>",
				    left + d * dw + 2, y0 - hs, dw - 4, hs > 0 ? hs : 1);
			if (l->refused[d])
				fprintf(fp, "<rect x='%d' y='%d' width='%d' height='%d' fill='#c53030'/>",
				    left + d * dw + 2, y0, dw - 4, hr > 0 ? hr : 1);
		}
		fputc('\n', fp);
	}
	for (d = 0; d < r->ndays; d += d == 0 ? 4 : 5) {
		char day[11];

		mgday_format(r->first_day + d, day);
		fprintf(fp, "<text x='%d' y='%d'>%s</text>", left + d * dw, h - 4, day + 5);
	}
	fputs("\n</svg>\n<p class=sub><span style='color:#2b6cb0'>&#9632;</span> sent "
	    "<span style='color:#c53030'>&#9632;</span> refused (rejected or held), London days;"
	    " the tallest bar is ", fp);
	fprintf(fp, "%ld message%s.</p>\n", max, max == 1 ? "" : "s");
}

static void
rh_incidents(const struct report *r, FILE *fp)
{
	char t[26];
	size_t i, j;

	fprintf(fp, "<h2>Incidents (misdirected messages)</h2>\n<p>%ld opened, %ld actions taken,"
	    " %ld still open at the end of the period.</p>\n", r->opened, r->actions, r->still_open);
	fputs("<table><tr><th>opened</th><th>Message-ID</th><th>recipient</th>"
	    "<th>actions in the period</th><th>state</th></tr>\n", fp);
	for (i = 0; i < r->nincidents; i++) {
		const struct lq_incident *in = &r->incidents[i];

		if (report_incident_actions(r, in) == 0 && !report_incident_open_at_end(r, in))
			continue;
		mgdate_london_format(in->actions[0].time, t);
		fprintf(fp, "<tr><td>%s</td><td>", t);
		rh_esc(fp, in->message_id);
		fputs("</td><td>", fp);
		rh_esc(fp, in->recipient);
		fputs("</td><td>", fp);
		for (j = 0; j < in->nactions; j++) {
			if (in->actions[j].time < r->since || in->actions[j].time > r->until)
				continue;
			mgdate_london_format(in->actions[j].time, t);
			fprintf(fp, "%.16s ", t);
			rh_esc(fp, in->actions[j].action);
			if (in->actions[j].note) {
				fputs(": ", fp);
				rh_esc(fp, in->actions[j].note);
			}
			fputs("<br>", fp);
		}
		fprintf(fp, "</td><td>%s</td></tr>\n", report_incident_open_at_end(r, in) ? "open" :
		    "closed");
	}
	fputs("</table>\n", fp);
}

static void
rh_modes(const struct report *r, FILE *fp)
{
	char a[26], b[26];
	size_t i;

	fputs("<h2>Mode changes and outages</h2>\n<table><tr><th>time</th><th>mode</th>"
	    "<th>by</th><th>reason</th></tr>\n", fp);
	for (i = 0; i < r->nmodes; i++) {
		mgdate_london_format(r->modes[i].time, a);
		fprintf(fp, "<tr><td>%s</td><td>", a);
		rh_esc(fp, r->modes[i].mode);
		fputs("</td><td>", fp);
		rh_esc(fp, r->modes[i].who);
		fputs("</td><td>", fp);
		rh_esc(fp, r->modes[i].detail);
		fputs("</td></tr>\n", fp);
	}
	if (r->nmodes == 0)
		fputs("<tr><td colspan=4>no mode changes</td></tr>\n", fp);
	fprintf(fp, "</table>\n<p>Outages: %zu.</p>\n", r->noutages);
	for (i = 0; i < r->noutages; i++) {
		mgdate_london_format(r->outages[i].start, a);
		if (r->outages[i].end)
			mgdate_london_format(r->outages[i].end, b);
		fprintf(fp, "<p class=sub>from %s to %s</p>\n", a, r->outages[i].end ? b :
		    "the end of the period (still going)");
	}
}

static void
rh_summary(const struct report *r, FILE *fp)
{
	long sent = 0, refused = 0;
	size_t i;

	for (i = 0; i < r->outcome.n; i++) {
		if (r->outcome.v[i].key && strcmp(r->outcome.v[i].key, "sent") == 0)
			sent += r->outcome.v[i].messages;
		else if (report_is_refused(r->outcome.v[i].key))
			refused += r->outcome.v[i].messages;
	}
	fprintf(fp, "<div class=box><b>%ld</b>messages</div><div class=box><b>%ld</b>recipients"
	    "</div><div class=box><b>%ld</b>sent</div><div class=box><b>%ld</b>refused</div>"
	    "<div class=box><b>%ld</b>incidents opened</div>\n", r->messages, r->recipients, sent,
	    refused, r->opened);
}

void
report_write_html(const struct report *r, FILE *fp)
{
	char a[26], b[26], line[700];

	mgdate_london_format(r->since, a);
	mgdate_london_format(r->until, b);
	report_verify_line(r, line, sizeof(line));
	fputs("<!DOCTYPE html>\n<html lang=en-GB><head><meta charset=utf-8>\n<title>Send log return: ",
	    fp);
	rh_esc(fp, r->title);
	fprintf(fp, "</title>\n<style>%s</style></head><body>\n<h1>Send log return: ", rh_css);
	rh_esc(fp, r->title);
	fprintf(fp, "</h1>\n<p class=sub>London time, %s to %s. A message counts once per outcome it"
	    " had in the period.</p>\n", a, b);
	rh_summary(r, fp);
	rh_breakdown(fp, "Messages by process", "process", NULL, &r->process, r->messages,
	    r->recipients, NULL);
	rh_chart(r, fp);
	rh_breakdown(fp, "By outcome", "outcome", NULL, &r->outcome, r->messages, r->recipients,
	    NULL);
	rh_breakdown(fp, "By organisation and class", "organisation", "class", &r->org, -1,
	    r->recipients,
	    "A message to several organisations counts once under each; the recipients add up to"
	    " the total.");
	rh_breakdown(fp, "By reason code", "reason", NULL, &r->reason, -1, -1,
	    "A message with several reasons counts once under each.");
	rh_incidents(r, fp);
	rh_modes(r, fp);
	fprintf(fp, "<footer>Chain head: %s<br><span class=%s>Send log %s</span></footer>\n"
	    "</body></html>\n", r->head, r->verify_rc == 0 ? "ok" : "bad", line);
}
