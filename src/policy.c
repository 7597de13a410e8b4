/*
 * policy - loads the policy (XML, urn:mailgate:policy:1) and answers the
 * two questions the rules ask of it: which form does a subject name, and
 * what is this recipient for this process on this day. See include/policy.h.
 *
 * Loading: xmlsafe (no DTD, no entities, no network), the RelaxNG schema,
 * then the checks a schema cannot make, each in its own function, every
 * problem a diagnostic with its line. The policy is returned only without
 * errors; it is immutable after loading and owns all it points to.
 */
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "nino.h"
#include "util.h"
#include "xmlsafe.h"

#define POL_NS "urn:mailgate:policy:1"

const char *
policy_schema_dir(void)
{
	return template_schema_dir();
}

struct pol_ctx {
	struct policy *p;
	const char *file;
	const char *template_dir;
	mgday today;
	struct diag *d;
	/* every address seen, to find one listed twice */
	char **addrs;
	long *addr_lines;
	size_t naddrs;
};

static char *
pol_attr(xmlNodePtr n, const char *name)
{
	char *v = xmlsafe_attr(n, name);
	char *s = v ? xstrdup(v) : NULL;

	xmlFree(v);
	return s;
}

static mgday
pol_date(xmlNodePtr n, const char *name)
{
	char *v = xmlsafe_attr(n, name);
	mgday d = MGDAY_NONE;

	if (v && !mgday_parse_iso(v, &d))
		d = MGDAY_NONE;
	xmlFree(v);
	return d;
}

static long
pol_long(xmlNodePtr n, const char *name, long dflt)
{
	char *v = xmlsafe_attr(n, name);
	long r = v ? strtol(v, NULL, 10) : dflt;

	xmlFree(v);
	return r;
}

/* Records an address; an address listed twice or equal to the designated inbox is an error. */
static char *
pol_address(struct pol_ctx *c, xmlNodePtr n)
{
	char *a = ascii_lower(pol_attr(n, "address"));
	long line = xmlGetLineNo(n);
	size_t i;

	if (c->p->designated_address && strcmp(a, c->p->designated_address) == 0)
		diag_add(c->d, DIAG_ERROR, c->file, line,
		    "%s is the designated inbox and cannot be listed as a recipient", a);
	for (i = 0; i < c->naddrs; i++)
		if (strcmp(c->addrs[i], a) == 0) {
			diag_add(c->d, DIAG_ERROR, c->file, line,
			    "%s is already listed on line %ld", a, c->addr_lines[i]);
			break;
		}
	c->addrs = xreallocarray(c->addrs, c->naddrs + 1, sizeof(*c->addrs));
	c->addr_lines = xreallocarray(c->addr_lines, c->naddrs + 1, sizeof(*c->addr_lines));
	c->addrs[c->naddrs] = a;
	c->addr_lines[c->naddrs++] = line;
	return xstrdup(a);
}

static void
pol_add_form(struct policy_process *pr, char *subject, char *tpl, long line)
{
	pr->forms = xreallocarray(pr->forms, pr->nforms + 1, sizeof(*pr->forms));
	pr->forms[pr->nforms].subject = str_collapse_ws(subject);
	pr->forms[pr->nforms].template_id = tpl;
	pr->forms[pr->nforms].tpl = NULL;
	pr->forms[pr->nforms].line = line;
	pr->nforms++;
}

/* The schema allows only the three words; anything else cannot reach here. */
static enum policy_inbound
pol_inbound(xmlNodePtr n)
{
	char *v = pol_attr(n, "inbound");
	enum policy_inbound r = POLICY_INBOUND_REVIEW;

	if (v == NULL || strcmp(v, "review") == 0)
		r = POLICY_INBOUND_REVIEW;
	else if (strcmp(v, "caseload") == 0)
		r = POLICY_INBOUND_CASELOAD;
	else if (strcmp(v, "internal") == 0)
		r = POLICY_INBOUND_INTERNAL;
	else
		util_panic("inbound=\"%s\" passed the schema", v);
	free(v);
	return r;
}

static void
pol_process(struct pol_ctx *c, xmlNodePtr n)
{
	struct policy *p = c->p;
	struct policy_process *pr;
	xmlNodePtr m;
	char *s;

	p->processes = xreallocarray(p->processes, p->nprocesses + 1, sizeof(*p->processes));
	pr = &p->processes[p->nprocesses++];
	memset(pr, 0, sizeof(*pr));
	pr->id = pol_attr(n, "id");
	pr->name = pol_attr(n, "name");
	pr->approval = pol_attr(n, "approval");
	pr->max_records = (int)pol_long(n, "max-records", 1);
	pr->inbound = pol_inbound(n);
	pr->min_notice_days = (int)pol_long(n, "min-notice-days", -1);
	pr->until = pol_date(n, "until");
	pr->line = xmlGetLineNo(n);
	if ((s = pol_attr(n, "subject")) != NULL)
		pol_add_form(pr, s, pol_attr(n, "template"), pr->line);
	for (m = n->children; m; m = m->next)
		if (xmlsafe_is(m, POL_NS, "form"))
			pol_add_form(pr, pol_attr(m, "subject"), pol_attr(m, "template"),
			    xmlGetLineNo(m));
}

const struct policy_process *
policy_find_process(const struct policy *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nprocesses; i++)
		if (strcmp(p->processes[i].id, id) == 0)
			return &p->processes[i];
	return NULL;
}

/* The processes="..." list of an inbox; an unknown id is an error. */
static const struct policy_process **
pol_process_list(struct pol_ctx *c, xmlNodePtr m, const char *address, long line, size_t *n)
{
	const struct policy_process **v = NULL;
	char *list = pol_attr(m, "processes"), *tok, *save = NULL;

	*n = 0;
	for (tok = list ? strtok_r(list, " \t\r\n", &save) : NULL; tok;
	    tok = strtok_r(NULL, " \t\r\n", &save)) {
		const struct policy_process *pr = policy_find_process(c->p, tok);

		if (pr == NULL) {
			diag_add(c->d, DIAG_ERROR, c->file, line, "inbox %s: unknown process '%s'",
			    address, tok);
			continue;
		}
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = pr;
	}
	free(list);
	return v;
}

static void
pol_department(struct pol_ctx *c, xmlNodePtr n)
{
	struct policy *p = c->p;
	struct policy_department *dep;
	xmlNodePtr m;

	p->departments = xreallocarray(p->departments, p->ndepartments + 1, sizeof(*p->departments));
	dep = &p->departments[p->ndepartments++];
	memset(dep, 0, sizeof(*dep));
	dep->name = pol_attr(n, "name");
	for (m = n->children; m; m = m->next) {
		struct policy_dept_inbox *ib;

		if (xmlsafe_is(m, POL_NS, "suspension-notice") && dep->suspension_subject == NULL)
			dep->suspension_subject = str_collapse_ws(pol_attr(m, "subject"));
		if (xmlsafe_is(m, POL_NS, "reintroduction-notice") && dep->reintroduction_subject == NULL)
			dep->reintroduction_subject = str_collapse_ws(pol_attr(m, "subject"));
		if (!xmlsafe_is(m, POL_NS, "inbox"))
			continue;
		dep->inboxes = xreallocarray(dep->inboxes, dep->ninboxes + 1, sizeof(*dep->inboxes));
		ib = &dep->inboxes[dep->ninboxes++];
		memset(ib, 0, sizeof(*ib));
		ib->address = pol_address(c, m);
		ib->line = xmlGetLineNo(m);
		ib->processes = pol_process_list(c, m, ib->address, ib->line, &ib->nprocesses);
	}
}

static void
pol_internal(struct pol_ctx *c, xmlNodePtr n)
{
	struct policy *p = c->p;
	struct policy_internal_inbox *ib;
	xmlNodePtr m;

	for (m = n->children; m; m = m->next) {
		if (!xmlsafe_is(m, POL_NS, "inbox"))
			continue;
		p->internal = xreallocarray(p->internal, p->ninternal + 1, sizeof(*p->internal));
		p->internal_inboxes = xreallocarray(p->internal_inboxes, p->ninternal + 1,
		    sizeof(*p->internal_inboxes));
		p->internal[p->ninternal] = pol_address(c, m);
		ib = &p->internal_inboxes[p->ninternal];
		ib->address = p->internal[p->ninternal];
		ib->all = !xmlHasProp(m, (const xmlChar *)"processes");
		ib->processes = pol_process_list(c, m, ib->address, xmlGetLineNo(m), &ib->nprocesses);
		p->ninternal++;
	}
}

static void
pol_permit(struct pol_ctx *c, struct policy_subcontractor *s, xmlNodePtr m)
{
	struct policy_permit *pm;
	char *pid = pol_attr(m, "process");
	long line = xmlGetLineNo(m);
	char a[11], b[11];

	s->permits = xreallocarray(s->permits, s->npermits + 1, sizeof(*s->permits));
	pm = &s->permits[s->npermits++];
	memset(pm, 0, sizeof(*pm));
	pm->process = policy_find_process(c->p, pid);
	pm->from = pol_date(m, "from");
	pm->until = pol_date(m, "until");
	pm->approval = pol_attr(m, "approval");
	pm->line = line;
	if (pm->process == NULL)
		diag_add(c->d, DIAG_ERROR, c->file, line, "permit of %s: unknown process '%s'", s->id, pid);
	if (pm->until != MGDAY_NONE && pm->until < pm->from)
		diag_add(c->d, DIAG_ERROR, c->file, line, "permit of %s for %s: until (%s) is before from (%s)",
		    s->id, pid, (mgday_format(pm->until, a), a), (mgday_format(pm->from, b), b));
	if (pm->approval == NULL)
		diag_add(c->d, DIAG_WARNING, c->file, line,
		    "permit of %s for %s has no approval (the start date agreed with the Supplier Manager)",
		    s->id, pid);
	if (s->offshore)
		diag_add(c->d, DIAG_WARNING, c->file, line,
		    "permit of %s for %s: the sub-contractor is offshore, so the permit is never used",
		    s->id, pid);
	if (pm->until != MGDAY_NONE && pm->until >= c->today && pm->until - c->today <= 30)
		diag_add(c->d, DIAG_WARNING, c->file, line, "permit of %s for %s ends on %s, within 30 days",
		    s->id, pid, (mgday_format(pm->until, a), a));
	free(pid);
}

static void
pol_subcontractor(struct pol_ctx *c, xmlNodePtr n)
{
	struct policy *p = c->p;
	struct policy_subcontractor *s;
	xmlNodePtr m;
	char *off;
	size_t i;

	p->subcontractors = xreallocarray(p->subcontractors, p->nsubcontractors + 1,
	    sizeof(*p->subcontractors));
	s = &p->subcontractors[p->nsubcontractors++];
	memset(s, 0, sizeof(*s));
	s->id = pol_attr(n, "id");
	s->name = pol_attr(n, "name");
	off = pol_attr(n, "offshore");
	s->offshore = off && (strcmp(off, "true") == 0 || strcmp(off, "1") == 0);
	free(off);
	s->line = xmlGetLineNo(n);
	for (i = 0; i + 1 < p->nsubcontractors; i++)
		if (strcmp(p->subcontractors[i].id, s->id) == 0)
			diag_add(c->d, DIAG_ERROR, c->file, s->line, "sub-contractor id '%s' is used twice", s->id);
	for (m = n->children; m; m = m->next) {
		if (xmlsafe_is(m, POL_NS, "inbox")) {
			s->inboxes = xreallocarray(s->inboxes, s->ninboxes + 1, sizeof(*s->inboxes));
			s->inboxes[s->ninboxes++] = pol_address(c, m);
		} else if (xmlsafe_is(m, POL_NS, "permit")) {
			pol_permit(c, s, m);
		}
	}
}

/* Duplicate ids and subjects, approval, withdrawal: one pass over processes. */
static void
pol_check_processes(struct pol_ctx *c)
{
	struct policy *p = c->p;
	size_t i, j, k, l;

	for (i = 0; i < p->nprocesses; i++) {
		struct policy_process *pr = &p->processes[i];

		for (j = 0; j < i; j++)
			if (strcmp(p->processes[j].id, pr->id) == 0)
				diag_add(c->d, DIAG_ERROR, c->file, pr->line,
				    "process id '%s' is used twice (first on line %ld)", pr->id,
				    p->processes[j].line);
		if (pr->approval == NULL)
			diag_add(c->d, DIAG_WARNING, c->file, pr->line,
			    "process %s has no approval (the department's written permission)", pr->id);
		for (k = 0; k < pr->nforms; k++)
			for (j = 0; j <= i; j++)
				for (l = 0; l < (j == i ? k : p->processes[j].nforms); l++)
					if (ascii_strcasecmp(p->processes[j].forms[l].subject,
					    pr->forms[k].subject) == 0)
						diag_add(c->d, DIAG_ERROR, c->file, pr->forms[k].line,
						    "subject '%s' is already used on line %ld",
						    pr->forms[k].subject, p->processes[j].forms[l].line);
	}
}

static const struct template *
pol_template(struct pol_ctx *c, const char *id, long line)
{
	struct policy *p = c->p;
	struct template *t;
	struct diag td;
	size_t i;

	for (i = 0; i < p->ntemplates; i++)
		if (strcmp(p->templates[i]->id, id) == 0)
			return p->templates[i];
	diag_init(&td);
	if (template_load(c->template_dir, id, &t, &td) < 0) {
		diag_add(c->d, DIAG_ERROR, c->file, line, "template '%s' does not load", id);
		diag_merge(c->d, &td);
		return NULL;
	}
	diag_merge(c->d, &td);
	p->templates = xreallocarray(p->templates, p->ntemplates + 1, sizeof(*p->templates));
	p->templates[p->ntemplates++] = t;
	return t;
}

static void
pol_load_templates(struct pol_ctx *c)
{
	struct policy *p = c->p;
	size_t i, k;

	for (i = 0; i < p->nprocesses; i++) {
		struct policy_process *pr = &p->processes[i];

		for (k = 0; k < pr->nforms; k++) {
			if (pr->forms[k].template_id == NULL)
				continue;	/* a form without a template check */
			pr->forms[k].tpl = pol_template(c, pr->forms[k].template_id, pr->forms[k].line);
			if (pr->forms[k].tpl && pr->min_notice_days >= 0 && !pr->forms[k].tpl->has_notice)
				diag_add(c->d, DIAG_ERROR, c->file, pr->line,
				    "process %s has min-notice-days but template '%s' has no notice field",
				    pr->id, pr->forms[k].template_id);
		}
	}
}

static int
pol_cmp_tpl(const void *a, const void *b)
{
	return strcmp((*(struct template *const *)a)->id, (*(struct template *const *)b)->id);
}

/* SHA-256 over the policy file and its templates' digests, in id order. */
static void
pol_version(struct policy *p, const char *buf, size_t len)
{
	unsigned char md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t i;

	qsort(p->templates, p->ntemplates, sizeof(*p->templates), pol_cmp_tpl);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, buf, len);
	for (i = 0; i < p->ntemplates; i++) {
		EVP_DigestUpdate(ctx, p->templates[i]->id, strlen(p->templates[i]->id) + 1);
		EVP_DigestUpdate(ctx, p->templates[i]->digest, sizeof(p->templates[i]->digest));
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	hex_encode(md, sizeof(md), p->version);
}

static void
pol_walk(struct pol_ctx *c, xmlNodePtr root)
{
	struct policy *p = c->p;
	xmlNodePtr n;

	p->max_message_bytes = 10485760;
	p->max_recipients = 50;
	p->clerical_after_hours = 48;
	/* The designated inbox first: every address is compared with it. */
	for (n = root->children; n; n = n->next)
		if (xmlsafe_is(n, POL_NS, "designated-inbox")) {
			p->designated_address = ascii_lower(pol_attr(n, "address"));
			p->designated_name = pol_attr(n, "name");
		}
	for (n = root->children; n; n = n->next) {
		if (xmlsafe_is(n, POL_NS, "limits")) {
			p->max_message_bytes = pol_long(n, "max-message-bytes", 10485760);
			p->max_recipients = pol_long(n, "max-recipients", 50);
		} else if (xmlsafe_is(n, POL_NS, "performance-manager")) {
			p->pm_address = ascii_lower(pol_attr(n, "address"));
			p->pm_name = pol_attr(n, "name");
		} else if (xmlsafe_is(n, POL_NS, "outage"))
			p->clerical_after_hours = (int)pol_long(n, "clerical-after-hours", 48);
		else if (xmlsafe_is(n, POL_NS, "process"))
			pol_process(c, n);
	}
	pol_check_processes(c);
	for (n = root->children; n; n = n->next) {
		if (xmlsafe_is(n, POL_NS, "department"))
			pol_department(c, n);
		else if (xmlsafe_is(n, POL_NS, "internal"))
			pol_internal(c, n);
		else if (xmlsafe_is(n, POL_NS, "subcontractor"))
			pol_subcontractor(c, n);
	}
	pol_load_templates(c);
}

int
policy_load_mem(const char *buf, size_t len, const char *name, const char *template_dir,
    mgday today, struct policy **out, struct diag *d)
{
	struct pol_ctx c;
	xmlDocPtr doc;
	char err[256], *schema;
	size_t before = d->nerrors, i;
	long line;

	*out = NULL;
	doc = xmlsafe_read(buf, len, name, err, sizeof(err), &line);
	if (doc == NULL) {
		diag_add(d, DIAG_ERROR, name, line, "%s", err);
		return -1;
	}
	schema = xasprintf("%s/policy.rng", policy_schema_dir());
	if (xmlsafe_validate(doc, schema, name, d) < 0) {
		free(schema);
		xmlFreeDoc(doc);
		return -1;
	}
	free(schema);
	memset(&c, 0, sizeof(c));
	c.p = xcalloc(1, sizeof(*c.p));
	c.p->path = xstrdup(name);
	c.file = name;
	c.template_dir = template_dir;
	c.today = today;
	c.d = d;
	pol_walk(&c, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	for (i = 0; i < c.naddrs; i++)
		free(c.addrs[i]);
	free(c.addrs);
	free(c.addr_lines);
	if (d->nerrors > before) {
		policy_free(c.p);
		return -1;
	}
	pol_version(c.p, buf, len);
	*out = c.p;
	return 0;
}

int
policy_load_at(const char *path, const char *template_dir, mgday today, struct policy **out,
    struct diag *d)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	buf = file_read(path, 4 << 20, &len);
	if (buf == NULL) {
		diag_add(d, DIAG_ERROR, path, 0, "cannot read the policy: %s", strerror(errno));
		return -1;
	}
	rc = policy_load_mem(buf, len, path, template_dir, today, out, d);
	free(buf);
	return rc;
}

int
policy_load(const char *path, const char *template_dir, struct policy **out, struct diag *d)
{
	return policy_load_at(path, template_dir, mgday_today_london(time(NULL)), out, d);
}

void
policy_free(struct policy *p)
{
	size_t i, j;

	if (p == NULL)
		return;
	for (i = 0; i < p->nprocesses; i++) {
		struct policy_process *pr = &p->processes[i];

		for (j = 0; j < pr->nforms; j++) {
			free(pr->forms[j].subject);
			free(pr->forms[j].template_id);
		}
		free(pr->forms);
		free(pr->id);
		free(pr->name);
		free(pr->approval);
	}
	free(p->processes);
	for (i = 0; i < p->ndepartments; i++) {
		for (j = 0; j < p->departments[i].ninboxes; j++) {
			free(p->departments[i].inboxes[j].address);
			free(p->departments[i].inboxes[j].processes);
		}
		free(p->departments[i].inboxes);
		free(p->departments[i].name);
		free(p->departments[i].suspension_subject);
		free(p->departments[i].reintroduction_subject);
	}
	free(p->departments);
	for (i = 0; i < p->ninternal; i++)
		free(p->internal_inboxes[i].processes);
	free(p->internal_inboxes);
	strv_free(p->internal, p->ninternal);
	free(p->pm_address);
	free(p->pm_name);
	for (i = 0; i < p->nsubcontractors; i++) {
		struct policy_subcontractor *s = &p->subcontractors[i];

		for (j = 0; j < s->npermits; j++)
			free(s->permits[j].approval);
		free(s->permits);
		strv_free(s->inboxes, s->ninboxes);
		free(s->id);
		free(s->name);
	}
	free(p->subcontractors);
	for (i = 0; i < p->ntemplates; i++)
		template_free(p->templates[i]);
	free(p->templates);
	free(p->designated_address);
	free(p->designated_name);
	free(p->path);
	free(p);
}

/* Strips one leading "Re:", "Fw:", "Fwd:", "AW:" or "WG:" (any case); 1 if it did. */
static int
pol_strip_prefix(const char **s)
{
	static const char *pfx[] = { "re:", "fw:", "fwd:", "aw:", "wg:" };
	size_t i, n;

	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		n = strlen(pfx[i]);
		if (ascii_strncasecmp(*s, pfx[i], n) == 0) {
			*s += n;
			while (**s == ' ')
				(*s)++;
			return 1;
		}
	}
	return 0;
}

/* 1 when the UTF-8 character at s is a letter or digit (any script). */
static int
pol_alnum_at(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;

	if (u[0] < 0x80)
		return (u[0] >= '0' && u[0] <= '9') || ((u[0] | 0x20) >= 'a' && (u[0] | 0x20) <= 'z');
	if ((u[0] & 0xE0) == 0xC0 && (u[1] & 0xC0) == 0x80)
		cp = ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
	else if ((u[0] & 0xF0) == 0xE0 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80)
		cp = ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
	else if ((u[0] & 0xF8) == 0xF0 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80 &&
	    (u[3] & 0xC0) == 0x80)
		cp = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) |
		    ((uint32_t)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
	else
		return 0;
	return nino_uc_alnum(cp);
}

/* The subject as matched: unfolded, white space collapsed, reply prefixes gone. */
static char *
pol_norm_subject(const char *subject, const char **s)
{
	char *norm = xstrdup(subject), *q;

	for (q = norm; *q; q++)
		if (*q == '\r' || *q == '\n')
			*q = ' ';
	str_collapse_ws(norm);
	*s = norm;
	while (pol_strip_prefix(s))
		;
	return norm;
}

/* n: the standard subject's length; 1 when s starts with it as a whole. */
static int
pol_subject_at(const char *s, const char *standard, size_t n)
{
	return ascii_strncasecmp(s, standard, n) == 0 && (s[n] == '\0' || !pol_alnum_at(s + n));
}

int
policy_subject_is(const char *subject, const char *standard)
{
	const char *s;
	char *norm = pol_norm_subject(subject, &s);
	int rc = pol_subject_at(s, standard, strlen(standard));

	free(norm);
	return rc;
}

const struct policy_form *
policy_match_subject(const struct policy *p, const char *subject,
    const struct policy_process **process)
{
	const struct policy_form *best = NULL;
	const char *s;
	char *norm;
	size_t i, k, bestlen = 0;

	*process = NULL;
	norm = pol_norm_subject(subject, &s);
	for (i = 0; i < p->nprocesses; i++)
		for (k = 0; k < p->processes[i].nforms; k++) {
			const struct policy_form *f = &p->processes[i].forms[k];
			size_t n = strlen(f->subject);

			if (n <= bestlen || !pol_subject_at(s, f->subject, n))
				continue;
			best = f;
			bestlen = n;
			*process = &p->processes[i];
		}
	free(norm);
	return best;
}

static int
pol_permit_covers(const struct policy_permit *pm, const struct policy_process *pr, mgday day)
{
	return pm->process == pr && day >= pm->from && (pm->until == MGDAY_NONE || day <= pm->until);
}

void
policy_classify(const struct policy *p, const char *address, const struct policy_process *process,
    mgday day, struct rcpt_info *out)
{
	size_t i, j, k;

	memset(out, 0, sizeof(*out));
	out->cls = RCPT_UNKNOWN;
	if (p->designated_address && ascii_strcasecmp(address, p->designated_address) == 0) {
		out->cls = RCPT_DESIGNATED;
		return;
	}
	for (i = 0; i < p->ndepartments; i++)
		for (j = 0; j < p->departments[i].ninboxes; j++) {
			const struct policy_dept_inbox *ib = &p->departments[i].inboxes[j];

			if (ascii_strcasecmp(address, ib->address) != 0)
				continue;
			out->cls = RCPT_DEPARTMENT;
			out->org = p->departments[i].name;
			for (k = 0; k < ib->nprocesses; k++)
				if (process && ib->processes[k] == process)
					out->allowed = 1;
			return;
		}
	for (i = 0; i < p->ninternal; i++)
		if (ascii_strcasecmp(address, p->internal[i]) == 0) {
			out->cls = RCPT_INTERNAL;
			return;
		}
	for (i = 0; i < p->nsubcontractors; i++) {
		const struct policy_subcontractor *s = &p->subcontractors[i];

		for (j = 0; j < s->ninboxes; j++) {
			if (ascii_strcasecmp(address, s->inboxes[j]) != 0)
				continue;
			out->cls = RCPT_SUBCONTRACTOR;
			out->org = s->id;
			out->sub = s;
			out->offshore = s->offshore;
			for (k = 0; process && !s->offshore && k < s->npermits; k++)
				if (pol_permit_covers(&s->permits[k], process, day))
					out->allowed = 1;
			return;
		}
	}
}

const char *
rcpt_class_name(enum rcpt_class c)
{
	switch (c) {
	case RCPT_DEPARTMENT:
		return "department";
	case RCPT_SUBCONTRACTOR:
		return "subcontractor";
	case RCPT_INTERNAL:
	case RCPT_DESIGNATED:	/* the designated inbox is the provider's own */
		return "internal";
	case RCPT_UNKNOWN:
		break;
	}
	return "unknown";
}
