/*
 * policy - the provider's policy file (XML, urn:mailgate:policy:1): which
 * processes are approved, their forms and limits, the department's inboxes,
 * internal inboxes and sub-contractors with their permits.
 *
 * policy_load() reads the file with libxml2 with no network, no DTD and no
 * entity expansion, validates it against the schema shipped in policies/
 * (policy_schema_dir()), checks its meaning (unknown process ids, until
 * before from, duplicate ids or subjects, an address listed twice or equal
 * to the designated inbox, min-notice-days without a notice field), and
 * loads every template it names. Every error and warning goes to the
 * struct diag with its line; the policy is returned only when there is no
 * error. The loaded policy is immutable and owns everything it points to.
 *
 * Parsed and validated, for the inbound work (issue 9) and not yet acted on:
 * a process's inbound routing, an internal inbox's processes, the
 * department's suspension and reintroduction notice subjects and the
 * performance manager.
 *
 * The lookups below are pure: subject matching (the interface's rules) and
 * recipient classification on a given day.
 */
#ifndef MG_POLICY_H
#define MG_POLICY_H

#include <stddef.h>

#include "diag.h"
#include "mgdate.h"
#include "template.h"

struct policy_form {
	char *subject;			/* the standard subject */
	char *template_id;		/* NULL: a form without a template check */
	const struct template *tpl;	/* owned by the policy; NULL without template_id */
	long line;
};

/* What happens to the department's mail of a process (inbound="..."). */
enum policy_inbound {
	POLICY_INBOUND_REVIEW,		/* the default: left for staff in Review */
	POLICY_INBOUND_CASELOAD,	/* to the sub-contractor holding the participant */
	POLICY_INBOUND_INTERNAL		/* to the internal inboxes */
};

struct policy_process {
	char *id, *name;
	char *approval;			/* NULL when absent (a warning) */
	int max_records;		/* 0: no participant record at all */
	enum policy_inbound inbound;
	int min_notice_days;		/* -1 when absent */
	mgday until;			/* MGDAY_NONE when absent */
	struct policy_form *forms;
	size_t nforms;
	long line;
};

struct policy_permit {
	const struct policy_process *process;
	mgday from, until;		/* until MGDAY_NONE when open-ended */
	char *approval;
	long line;
};

struct policy_subcontractor {
	char *id, *name;
	int offshore;
	char **inboxes;			/* lower case */
	size_t ninboxes;
	struct policy_permit *permits;
	size_t npermits;
	long line;
};

struct policy_dept_inbox {
	char *address;			/* lower case */
	const struct policy_process **processes;
	size_t nprocesses;
	long line;
};

struct policy_department {
	char *name;
	struct policy_dept_inbox *inboxes;
	size_t ninboxes;
	/* subjects of the department's suspension and reintroduction notices; NULL when absent */
	char *suspension_subject, *reintroduction_subject;
};

/* Which processes an internal inbox receives inbound. */
struct policy_internal_inbox {
	const char *address;		/* the same string as policy.internal[i] */
	int all;			/* no processes="...": every process */
	const struct policy_process **processes;
	size_t nprocesses;
};

enum rcpt_class { RCPT_DEPARTMENT, RCPT_SUBCONTRACTOR, RCPT_INTERNAL, RCPT_DESIGNATED, RCPT_UNKNOWN };

struct policy {
	char *path;
	char *designated_address;	/* lower case */
	char *designated_name;
	long max_message_bytes;		/* default 10485760 */
	long max_recipients;		/* default 50 */
	char *pm_address, *pm_name;	/* <performance-manager>, lower case address; NULL */
	int clerical_after_hours;	/* default 48 */
	struct policy_process *processes;
	size_t nprocesses;
	struct policy_department *departments;
	size_t ndepartments;
	char **internal;		/* lower case */
	struct policy_internal_inbox *internal_inboxes;	/* ninternal, parallel to internal */
	size_t ninternal;
	struct policy_subcontractor *subcontractors;
	size_t nsubcontractors;
	struct template **templates;	/* every template named, loaded once */
	size_t ntemplates;
	char version[65];		/* hex SHA-256 over the policy file and its templates */
};

/* Returns 0 and *out, or -1 (errors in d). Warnings go to d either way. */
int policy_load(const char *path, const char *template_dir, struct policy **out, struct diag *d);
/* The same, with "today" (for the permit-ending warning) given. */
int policy_load_at(const char *path, const char *template_dir, mgday today,
    struct policy **out, struct diag *d);
/* The same from bytes already read; name is used in diagnostics. */
int policy_load_mem(const char *buf, size_t len, const char *name, const char *template_dir,
    mgday today, struct policy **out, struct diag *d);
void policy_free(struct policy *p);
/* The RelaxNG schemas installed with mailgate (policy and template). */
const char *policy_schema_dir(void);

/*
 * Normalises a decoded subject as the interface says (unfold, collapse white
 * space, trim, strip leading Re:/Fw:/Fwd:/AW:/WG:) and finds the longest
 * standard subject that is a case-insensitive prefix followed by the end or
 * a character that is not a letter or digit. NULL when none matches.
 * Withdrawal (until) is not judged here.
 */
const struct policy_form *policy_match_subject(const struct policy *p, const char *subject,
    const struct policy_process **process);

/* 1 when subject matches the one standard subject by the same rule (department notices). */
int policy_subject_is(const char *subject, const char *standard);

struct rcpt_info {
	enum rcpt_class cls;
	const char *org;			/* department name or sub-contractor id; NULL */
	const struct policy_subcontractor *sub;	/* when cls == RCPT_SUBCONTRACTOR */
	int allowed;				/* for this process on this day */
	int offshore;
};

/* Classifies one address (exact, case-insensitive) for a process on a day. */
void policy_classify(const struct policy *p, const char *address,
    const struct policy_process *process, mgday day, struct rcpt_info *out);

const struct policy_process *policy_find_process(const struct policy *p, const char *id);

/* The interface's name of a class: department, subcontractor, internal, unknown. */
const char *rcpt_class_name(enum rcpt_class c);

#endif
