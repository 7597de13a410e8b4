/*
 * permits - permits ending and in force; see include/permits.h.
 */
#include "permits.h"

#include <string.h>

int permits_in_force(const struct policy_permit *pm, mgday day)
{
	return day >= pm->from && (pm->until == MGDAY_NONE || day <= pm->until);
}

size_t permits_ending(const struct policy *p, mgday today, int days, struct sbuf *out)
{
	size_t i, j, n = 0;
	char d[11];

	for (i = 0; i < p->nsubcontractors; i++) {
		const struct policy_subcontractor *s = &p->subcontractors[i];

		for (j = 0; j < s->npermits; j++) {
			const struct policy_permit *pm = &s->permits[j];

			if (pm->until == MGDAY_NONE || !permits_in_force(pm, today) ||
			    pm->until - today > days)
				continue;
			mgday_format(pm->until, d);
			sbuf_printf(out, "%s%s/%s until %s", n ? ", " : "", s->id,
			    pm->process ? pm->process->id : "-", d);
			n++;
		}
	}
	return n;
}

static void pm_show_process(const struct policy *p, const struct policy_process *pr, mgday day,
    FILE *fp)
{
	size_t i, j, k;
	char from[11], until[11];

	fprintf(fp, "process %s (%s)\n", pr->id, pr->name ? pr->name : "-");
	for (i = 0; i < pr->nforms; i++)
		fprintf(fp, "  form: %s (template %s)\n", pr->forms[i].subject,
		    pr->forms[i].template_id ? pr->forms[i].template_id : "-");
	for (i = 0; i < p->ndepartments; i++)
		for (j = 0; j < p->departments[i].ninboxes; j++)
			for (k = 0; k < p->departments[i].inboxes[j].nprocesses; k++)
				if (p->departments[i].inboxes[j].processes[k] == pr)
					fprintf(fp, "  department inbox: %s\n",
					    p->departments[i].inboxes[j].address);
	for (i = 0; i < p->nsubcontractors; i++) {
		const struct policy_subcontractor *s = &p->subcontractors[i];

		for (j = 0; j < s->npermits; j++) {
			if (s->permits[j].process != pr || !permits_in_force(&s->permits[j], day))
				continue;
			mgday_format(s->permits[j].from, from);
			if (s->permits[j].until != MGDAY_NONE)
				mgday_format(s->permits[j].until, until);
			else
				strcpy(until, "open");
			fprintf(fp, "  sub-contractor: %s (%s) from %s until %s%s\n", s->id,
			    s->name ? s->name : "-", from, until, s->offshore ? " offshore" : "");
			for (k = 0; k < s->ninboxes; k++)
				fprintf(fp, "    inbox: %s\n", s->inboxes[k]);
		}
	}
}

int permits_show(const struct policy *p, mgday day, const char *process_id, FILE *fp)
{
	size_t i, shown = 0;
	char d[11];

	mgday_format(day, d);
	fprintf(fp, "policy %s on %s\n", p->version, d);
	for (i = 0; i < p->nprocesses; i++) {
		if (process_id && strcmp(p->processes[i].id, process_id) != 0)
			continue;
		if (p->processes[i].until != MGDAY_NONE && day > p->processes[i].until)
			continue;
		pm_show_process(p, &p->processes[i], day, fp);
		shown++;
	}
	if (process_id && shown == 0) {
		for (i = 0; i < p->nprocesses; i++)
			if (strcmp(p->processes[i].id, process_id) == 0) {
				mgday_format(p->processes[i].until, d);
				fprintf(fp, "process %s ended on %s\n", process_id, d);
				return 0;
			}
		return -1;
	}
	return 0;
}
