/*
 * test_outbound - the exactly-once promise of outbound over its journey,
 * driven with a fake mailbox and a fake submission server (fakemail.h)
 * that fail at each step in turn: a lost connection (any mailbox or SMTP
 * call), a 4xx, a 5xx, a connection lost after DATA with or without the 250
 * having been given, the send log locked by another process, and a crash
 * (the log and the journeys closed and opened again, memory lost). After
 * every fault the passes run on until the Outbox is empty, and each run
 * asserts: no message delivered twice, every message in exactly one folder,
 * the log agreeing with the folders, at most one notice per message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fakemail.h"
#include "journey.h"
#include "outbound.h"
#include "policy.h"
#include "sendlog.h"
#include "util.h"

enum { F_OUTBOX, F_SENT, F_REJECTED, F_HELD, F_N };
static const char *const fnames[F_N] = { "Outbox", "Sent", "Rejected", "Held" };

/*
 * How the fake appends a Sent copy: in turn (append), or overlapped with
 * the copy landing at the start (a fast second session) or only at the
 * wait (a slow one); every fault at every step is tried in each.
 */
static enum fm_overlap overlap;

/* The faults tried at every step (fakemail.h). */
static const enum fm_fault kinds[] = { FM_LOST, FM_TEMP, FM_PERM, FM_AFTER_DATA, FM_LOST_250,
	FM_LOG, FM_CRASH, FM_LOG_250, FM_LOG_250_CRASH };

/* Descriptors of this process open on a message's memfd. */
static int open_memfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[300], to[256];
		ssize_t k;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		if ((k = readlink(path, to, sizeof(to) - 1)) <= 0)
			continue;
		to[k] = '\0';
		n += strstr(to, "memfd:mailgate-message") != NULL;
	}
	closedir(d);
	return n;
}

/* ---- the run ------------------------------------------------------------ */

static const char *const ids[] = { "ok1@lab.test", "rej1@lab.test", "ok2@lab.test" };

static char *sample(const char *id, const char *to)
{
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/tests/messages/coc-thunderbird-plain.eml", top ? top : ".");
	size_t len;
	char *raw = file_read(path, 1 << 20, &len), *p, *q;
	struct sbuf b;

	assert_non_null(raw);
	free(path);
	sbuf_init(&b);
	for (p = raw; *p; p = q) {
		q = strchr(p, '\n');
		q = q ? q + 1 : p + strlen(p);
		if (strncmp(p, "Message-ID:", 11) == 0)
			sbuf_printf(&b, "Message-ID: <%s>\n", id);
		else if (strncmp(p, "To:", 3) == 0)
			sbuf_printf(&b, "To: %s\n", to);
		else
			sbuf_add(&b, p, (size_t)(q - p));
	}
	free(raw);
	sbuf_adds(&b, "");
	return b.data;
}

static void world_init(struct fm_world *w)
{
	const char *top = getenv("top_srcdir");
	char *pp = xasprintf("%s/policies/policy.xml", top ? top : ".");
	char *td = xasprintf("%s/templates", top ? top : ".");
	struct policy *pol = NULL;
	struct diag d;
	size_t i;

	diag_init(&d);
	assert_int_equal(policy_load(pp, td, &pol, &d), 0);
	diag_free(&d);
	free(pp);
	free(td);
	fakemail_world_init(w, pol, fnames, F_N, "outbound");
	w->fk.overlap = overlap;
	w->cfg.outbox_folder = "Outbox";
	w->cfg.sent_folder = "Sent";
	w->cfg.rejected_folder = "Rejected";
	w->cfg.held_folder = "Held";
	w->cfg.imap_user = "whp";
	w->mail.fetch_fd = fakemail_fetch_fd;
	for (i = 0; i < 3; i++) {
		char *m = sample(ids[i], i == 1 ? "someone@unknown.example" : "whp@acme.example");

		fakemail_put(&w->fk, F_OUTBOX, m, strlen(m));
		free(m);
	}
}

/* One pass as the daemon makes it; a crash restarts the "daemon" after it. */
static void run_pass(struct fm_world *w)
{
	struct ob_item *items = NULL;
	struct ob_batch batch;
	struct ob_filing filing = { NULL };
	struct ob_ahead ahead;
	size_t n = 0, i;
	int rc;

	memset(&ahead, 0, sizeof(ahead));
	/* the overlapped worlds also analyse the next message during this one's DATA */
	w->e.ahead = overlap != FM_OV_NONE ? &ahead : NULL;

	fakemail_time += 3600;	/* past any backoff */
	memset(&batch, 0, sizeof(batch));
	/* every other world removes its sent copies together, as the daemon does */
	w->e.batch = w->fk.fail_at % 2 ? &batch : NULL;
	w->e.filing = overlap != FM_OV_NONE ? &filing : NULL;
	w->mail.actx = &w->fk;
	w->mail.append_start = overlap != FM_OV_NONE ? fakemail_append_start : NULL;
	w->mail.append_wait = overlap != FM_OV_NONE ? fakemail_append_wait : NULL;
	if (w->mail.list(&w->fk, "Outbox", fakemail_time, &items, &n) == 0) {
		rc = outbound_recover(&w->e, items, n);
		for (i = 0; rc == 0 && i < n; i++) {
			enum ob_outcome o;

			ahead.next = i + 1 < n ? &items[i + 1] : NULL;
			o = outbound_message(&w->e, &items[i]);

			if (o == OB_MAILBOX_FAILED || o == OB_LOG_FAILED)
				break;
		}
		(void)outbound_flush(&w->e);
	}
	/* the pass never ends with a message parked, nor an append outstanding */
	assert_null(filing.m);
	assert_false(w->fk.pending);
	assert_int_equal(ahead.uid, 0);
	/* and no message is left behind in a memfd (msgfd.h), whatever failed */
	assert_int_equal(open_memfds(), 0);
	w->e.ahead = NULL;
	w->e.batch = NULL;
	w->e.filing = NULL;
	free(items);
	if (w->fk.crashed)
		fakemail_world_restart(w);
}

static size_t count_delivered(const struct fm_world *w, const char *id)
{
	size_t i, n = 0;

	for (i = 0; i < w->fk.ndelivered; i++)
		n += w->fk.delivered[i] && strcmp(w->fk.delivered[i], id) == 0;
	return n;
}

/* Copies of the message itself (not notices) in folder, and its notices. */
static void count_in(const struct fm_world *w, int folder, const char *id, size_t *msgs,
    size_t *notices)
{
	char *want = xasprintf("<%s>", id);
	size_t i;

	*msgs = *notices = 0;
	for (i = 0; i < w->fk.f[folder].n; i++) {
		const struct fm_msg *m = &w->fk.f[folder].v[i];

		if (fakemail_has(m, "X-Mailgate-Message-ID", want))
			(*notices)++;
		else if (fakemail_has(m, "Message-ID", want))
			(*msgs)++;
	}
	free(want);
}

static void check_world(struct fm_world *w, const char *what)
{
	size_t i, f, where, total, msgs, notices, d;

	for (i = 0; i < 3; i++) {
		where = F_N;
		total = 0;
		for (f = 0; f < F_N; f++) {
			count_in(w, (int)f, ids[i], &msgs, &notices);
			if (msgs)
				where = f;
			total += msgs;
			if (notices > 1)
				fail_msg("%s: %s has %zu notices in %s", what, ids[i], notices,
				    fnames[f]);
		}
		d = count_delivered(w, ids[i]);
		if (total != 1 || where == F_OUTBOX)
			fail_msg("%s: %s is in %zu folders (last %s)", what, ids[i], total,
			    where < F_N ? fnames[where] : "none");
		if (d > 1)
			fail_msg("%s: %s delivered %zu times", what, ids[i], d);
		if (where == F_SENT && d != 1)
			fail_msg("%s: %s in Sent but delivered %zu times", what, ids[i], d);
		if (where == F_REJECTED && d != 0)
			fail_msg("%s: %s rejected but delivered", what, ids[i]);
		if (sendlog_was_sent(w->log, ids[i]) != (where == F_SENT))
			fail_msg("%s: the log and the folders disagree about %s", what, ids[i]);
		if (i == 1 && where != F_REJECTED)
			fail_msg("%s: the unapproved recipient's message is in %s", what,
			    fnames[where]);
	}
}

/* A clean run takes this many calls; every one of them is failed in turn. */
static int clean_calls(void)
{
	struct fm_world w;
	int n, passes;

	world_init(&w);
	for (passes = 0; passes < 3 && w.fk.f[F_OUTBOX].n > 0; passes++)
		run_pass(&w);
	n = w.fk.ops;
	check_world(&w, "clean run");
	assert_int_equal(count_delivered(&w, ids[0]) + count_delivered(&w, ids[2]), 2);
	fakemail_world_free(&w);
	return n;
}

static void run_fault(enum fm_fault kind, int at)
{
	struct fm_world w;
	char what[64];
	int passes;

	world_init(&w);
	w.fk.kind = kind;
	w.fk.fail_at = at;
	for (passes = 0; passes < 12 && w.fk.f[F_OUTBOX].n > 0; passes++)
		run_pass(&w);
	fakemail_lock(&w.fk, 0);
	snprintf(what, sizeof(what), "fault %d at call %d", (int)kind, at);
	check_world(&w, what);
	fakemail_world_free(&w);
}

static void test_every_fault_at_every_step(void **state)
{
	int n, at;
	size_t k;

	(void)state;
	fakemail_time = 1795000000;	/* 2026-11-18 */
	for (overlap = FM_OV_NONE; overlap < FM_OV_N; overlap++) {
		n = clean_calls();
		assert_true(n > 10);
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			for (at = 1; at <= n + 2; at++)
				run_fault(kinds[k], at);
	}
	overlap = FM_OV_NONE;
}

/* A 250 whose record the log refuses is not forgotten while the daemon runs. */
static void test_log_refuses_after_250(void **state)
{
	struct fm_world w;
	size_t msgs, notices;
	int send_call;

	(void)state;
	fakemail_time = 1795000000;
	world_init(&w);
	/* the call that is the first send: try each until the lock falls right after a 250 */
	for (send_call = 1; send_call < 20; send_call++) {
		fakemail_world_free(&w);
		world_init(&w);
		w.fk.kind = FM_LOG_250;
		w.fk.fail_at = send_call;
		run_pass(&w);
		if (w.fk.ndelivered == 1 && w.fk.locker != NULL)
			break;
	}
	assert_true(send_call < 20);
	/* the log is still locked: the pass stopped; the message waits in Outbox */
	count_in(&w, F_OUTBOX, ids[0], &msgs, &notices);
	assert_int_equal(msgs, 1);
	for (send_call = 0; send_call < 12 && w.fk.f[F_OUTBOX].n > 0; send_call++)
		run_pass(&w);
	assert_int_equal(count_delivered(&w, ids[0]), 1);
	count_in(&w, F_SENT, ids[0], &msgs, &notices);
	assert_int_equal(msgs, 1);
	assert_int_equal(sendlog_was_sent(w.log, ids[0]), 1);
	check_world(&w, "log locked after 250");
	fakemail_world_free(&w);
}

/* Every transition outside the table is refused. */
static void test_journey_table(void **state)
{
	(void)state;
	assert_true(journey_allowed(JR_NONE, JR_INTENT, JF_PENDING));
	assert_true(journey_allowed(JR_DATA, JR_ACCEPTED, JF_SENT));
	assert_false(journey_allowed(JR_NONE, JR_DATA, JF_PENDING));
	assert_false(journey_allowed(JR_INTENT, JR_ACCEPTED, JF_SENT));
	assert_false(journey_allowed(JR_DATA, JR_DONE, JF_PENDING));
	assert_false(journey_allowed(JR_ACCEPTED, JR_INTENT, JF_PENDING));
	assert_false(journey_allowed(JR_LOGGED, JR_INTENT, JF_PENDING));
	assert_false(journey_allowed(JR_DONE, JR_INTENT, JF_PENDING));
	assert_false(journey_allowed(JR_NONE, JR_LOGGED, JF_SENT));
	assert_false(journey_allowed(JR_DATA, JR_ACCEPTED, (enum jr_fate)99));
	/* inbound: a forward judged again for Review before MAIL FROM; never from DATA */
	assert_true(journey_allowed(JR_INTENT, JR_LOGGED, JF_REVIEW));
	assert_true(journey_allowed(JR_DATA, JR_ACCEPTED, JF_FORWARDED));
	assert_false(journey_allowed(JR_DATA, JR_LOGGED, JF_REVIEW));
	assert_false(journey_allowed(JR_DATA, JR_LOGGED, JF_FORWARDED));
	/* group commit: only what must precede an effect outside is synced at once */
	assert_true(journey_needs_sync(JR_DATA, JF_PENDING));
	assert_true(journey_needs_sync(JR_LOGGED, JF_REJECTED));
	assert_true(journey_needs_sync(JR_LOGGED, JF_HELD));
	assert_true(journey_needs_sync(JR_LOGGED, JF_REVIEW));
	assert_true(journey_needs_sync(JR_LOGGED, JF_BOUNCED));
	/* a forward's original, like a sent copy, is deleted after journey_sync_disk() */
	assert_false(journey_needs_sync(JR_LOGGED, JF_FORWARDED));
	assert_false(journey_needs_sync(JR_INTENT, JF_PENDING));
	assert_false(journey_needs_sync(JR_ACCEPTED, JF_SENT));
	assert_false(journey_needs_sync(JR_LOGGED, JF_SENT));
	assert_false(journey_needs_sync(JR_DONE, JF_PENDING));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journey_table),
		cmocka_unit_test(test_log_refuses_after_250),
		cmocka_unit_test(test_every_fault_at_every_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
