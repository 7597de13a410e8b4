/*
 * imap - the daemon's session with the designated inbox over libetpan and
 * the tls transport: login (STARTTLS required when configured, PREAUTH on
 * cleartext refused), folders created and subscribed, work by UID, MOVE or
 * COPY + \\Deleted + UID EXPUNGE, IDLE with a polling fallback. No logger
 * is installed, so no credential can reach a log. See include/imap.h.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <libetpan/libetpan.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "imap.h"
#include "msgfd.h"
#include "outbound.h"
#include "tls.h"
#include "util.h"

/* ---- IMAP ------------------------------------------------------------ */

struct imap_session {
	const struct config *cfg;
	mailimap *imap;
	char *selected;
	int has_move, has_uidplus, has_idle, has_literal_plus;
	uint32_t outbox_next;	/* above every Outbox UID the last list saw */
	uint32_t inbox_next;	/* the same for INBOX (the department's mail) */
	struct tls_clock clock;
	char err[512];
};

/* The UIDNEXT bound kept for a watched folder (Outbox, INBOX); NULL for others. */
static uint32_t *imap_next_of(struct imap_session *im, const char *folder)
{
	if (strcmp(folder, im->cfg->outbox_folder) == 0)
		return &im->outbox_next;
	if (strcmp(folder, im->cfg->inbox_folder) == 0)
		return &im->inbox_next;
	return NULL;
}

/* Every command has the whole of command_timeout, more for a large literal. */
static void imap_arm(struct imap_session *im, size_t bytes)
{
	tls_clock_arm(&im->clock, im->cfg->command_timeout + (int)(bytes / (256 * 1024)));
}

static void imap_kill(mailimap *imap)
{
	if (imap == NULL)
		return;
	if (imap->imap_stream != NULL) {
		mailstream_close(imap->imap_stream);
		imap->imap_stream = NULL;
	}
	mailimap_free(imap);
}

static int imap_fail(struct imap_session *im, const char *what, int r)
{
	const char *why = tls_clock_why(&im->clock);

	if (why != NULL)
		snprintf(im->err, sizeof(im->err), "%s: IMAP %s failed: %s", im->cfg->imap_host, what,
		    why);
	else
		snprintf(im->err, sizeof(im->err), "%s: IMAP %s failed (%d)%s%s", im->cfg->imap_host,
		    what, r, im->imap && im->imap->imap_response ? ": " : "",
		    im->imap && im->imap->imap_response ? im->imap->imap_response : "");
	return -1;
}

const char *imap_error(const struct imap_session *im)
{
	return im->err;
}

static int imap_select(struct imap_session *im, const char *folder)
{
	int r;

	if (im->selected != NULL && strcmp(im->selected, folder) == 0)
		return 0;
	free(im->selected);
	im->selected = NULL;
	imap_arm(im, 0);
	r = mailimap_select(im->imap, folder);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, "SELECT", r);
	im->selected = xstrdup(folder);
	return 0;
}

/* Creates and subscribes folder when LIST does not show it. */
static int imap_ensure(struct imap_session *im, const char *folder)
{
	clist *res = NULL;
	int r, n;

	imap_arm(im, 0);
	r = mailimap_list(im->imap, "", folder, &res);

	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, "LIST", r);
	n = res ? clist_count(res) : 0;
	if (res)
		mailimap_list_result_free(res);
	if (n > 0)
		return 0;
	r = mailimap_create(im->imap, folder);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, "CREATE", r);
	mailimap_subscribe(im->imap, folder);
	return 0;
}

int imap_open(const struct config *cfg, const char *password, volatile sig_atomic_t *stop,
    struct imap_session **out, char *err, size_t errlen)
{
	struct imap_session *im = xcalloc(1, sizeof(*im));
	const char *host = cfg->imap_host;
	SSL *ssl = NULL;
	mailstream *s;
	int fd, r;
	const char *folders[6];
	size_t i;

	im->cfg = cfg;
	tls_clock_init(&im->clock, stop);
	fd = tls_connect(host, cfg->imap_port, &im->clock, err, errlen);
	if (fd < 0)
		goto fail;
	if (cfg->imap_tls == TLSM_IMPLICIT &&
	    (ssl = tls_handshake(cfg, host, fd, &im->clock, err, errlen)) == NULL) {
		close(fd);
		goto fail;
	}
	s = tls_stream(fd, ssl, &im->clock);
	im->imap = mailimap_new(0, NULL);
	tls_clock_arm(&im->clock, TLS_CONNECT_TIMEOUT);
	r = mailimap_connect(im->imap, s);
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED && cfg->imap_tls != TLSM_IMPLICIT) {
		snprintf(err, errlen, "%s: PREAUTH before TLS refused", host);
		goto fail;
	}
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		snprintf(err, errlen, "%s:%d: no IMAP greeting%s%s", host, cfg->imap_port,
		    im->clock.fired == TLS_CLOCK_EXPIRED ? " within 10 s" : "",
		    im->clock.fired == TLS_CLOCK_EXPIRED && cfg->imap_tls != TLSM_IMPLICIT ?
		    " (a TLS port? port 993 wants imap_tls = implicit)" : "");
		goto fail;
	}
	imap_arm(im, 0);
	if (cfg->imap_tls == TLSM_STARTTLS) {
		struct mailimap_capability_data *cap = NULL;

		if (mailimap_capability(im->imap, &cap) == MAILIMAP_NO_ERROR && cap)
			mailimap_capability_data_free(cap);
		if (!mailimap_has_extension(im->imap, "STARTTLS")) {
			snprintf(err, errlen, "%s: STARTTLS not offered", host);
			goto fail;
		}
		r = mailimap_starttls(im->imap);
		/* Debian's libetpan refuses bytes pipelined after the OK, and leaves them buffered */
		if (r == MAILIMAP_ERROR_STARTTLS && im->imap->imap_stream &&
		    im->imap->imap_stream->read_buffer_len > 0) {
			snprintf(err, errlen, "%s: data injected before TLS", host);
			goto fail;
		}
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(err, errlen, "%s: STARTTLS failed", host);
			goto fail;
		}
		if (tls_upgrade(cfg, host, im->imap->imap_stream, err, errlen) < 0)
			goto fail;
	}
	{
		struct mailimap_capability_data *cap = NULL;

		if (mailimap_capability(im->imap, &cap) == MAILIMAP_NO_ERROR && cap)
			mailimap_capability_data_free(cap);
	}
	r = mailimap_login(im->imap, cfg->imap_user, password);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(err, errlen, "%s: IMAP login as %s refused%s%s", host, cfg->imap_user,
		    im->imap->imap_response ? ": " : "",
		    im->imap->imap_response ? im->imap->imap_response : "");
		goto fail;
	}
	{
		struct mailimap_capability_data *cap = NULL;

		if (mailimap_capability(im->imap, &cap) == MAILIMAP_NO_ERROR && cap)
			mailimap_capability_data_free(cap);
	}
	im->has_move = mailimap_has_extension(im->imap, "MOVE");
	im->has_literal_plus = mailimap_has_extension(im->imap, "LITERAL+");
	im->has_uidplus = mailimap_has_uidplus(im->imap);
	im->has_idle = mailimap_has_idle(im->imap) || mailimap_has_extension(im->imap, "IDLE");
	folders[0] = cfg->outbox_folder;
	folders[1] = cfg->sent_folder;
	folders[2] = cfg->rejected_folder;
	folders[3] = cfg->held_folder;
	folders[4] = cfg->review_folder;
	folders[5] = NULL;
	for (i = 0; folders[i] != NULL; i++)
		if (imap_ensure(im, folders[i]) < 0) {
			snprintf(err, errlen, "%s", im->err);
			goto fail;
		}
	*out = im;
	return 0;
fail:
	imap_kill(im->imap);
	free(im);
	*out = NULL;
	return -1;
}

void imap_close(struct imap_session *im)
{
	if (im == NULL)
		return;
	if (im->imap && im->imap->imap_stream)
	{
		imap_arm(im, 0);
		mailimap_logout(im->imap);
	}
	imap_kill(im->imap);
	free(im->selected);
	free(im);
}

static time_t imap_internaldate(const struct mailimap_date_time *d)
{
	struct tm tm;
	int z = d->dt_zone < 0 ? -d->dt_zone : d->dt_zone;
	long off = (z / 100) * 3600L + (z % 100) * 60L;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d->dt_year - 1900;
	tm.tm_mon = d->dt_month - 1;
	tm.tm_mday = d->dt_day;
	tm.tm_hour = d->dt_hour;
	tm.tm_min = d->dt_min;
	tm.tm_sec = d->dt_sec;
	return timegm(&tm) - (d->dt_zone < 0 ? -off : off);
}

static int imap_item_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct ob_item *)a)->uid, y = ((const struct ob_item *)b)->uid;

	return x < y ? -1 : x > y;
}

/* Selects folder; a watched one afresh, so that its UIDNEXT bounds what a list sees. */
static int imap_select_bounded(struct imap_session *im, const char *folder, uint32_t *next)
{
	if (next != NULL) {
		free(im->selected);
		im->selected = NULL;
	}
	if (imap_select(im, folder) < 0)
		return -1;
	if (next != NULL && im->imap->imap_selection_info &&
	    im->imap->imap_selection_info->sel_uidnext > *next)
		*next = im->imap->imap_selection_info->sel_uidnext;
	return 0;
}

static int imap_list(void *ctx, const char *folder, time_t before, struct ob_item **items,
    size_t *n)
{
	struct imap_session *im = ctx;
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *c, *a;
	uint32_t *next = imap_next_of(im, folder);
	int r;

	*items = NULL;
	*n = 0;
	if (imap_select_bounded(im, folder, next) < 0)
		return -1;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_internaldate());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	set = mailimap_set_new_interval(1, 0);
	imap_arm(im, 0);
	r = mailimap_fetch(im->imap, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR) {
		/* an empty folder answers "1:*" with an error on some servers */
		if (im->imap->imap_selection_info && im->imap->imap_selection_info->sel_exists == 0)
			return 0;
		return imap_fail(im, "FETCH", r);
	}
	for (c = clist_begin(res); c != NULL; c = clist_next(c)) {
		struct mailimap_msg_att *m = clist_content(c);
		uint32_t uid = 0, size = 0;
		time_t when = 0;
		int deleted = 0, have_date = 0;

		for (a = clist_begin(m->att_list); a != NULL; a = clist_next(a)) {
			struct mailimap_msg_att_item *it = clist_content(a);

			if (it->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
				clistiter *f;

				if (it->att_data.att_dyn->att_list == NULL)
					continue;
				for (f = clist_begin(it->att_data.att_dyn->att_list); f; f = clist_next(f)) {
					struct mailimap_flag_fetch *ff = clist_content(f);

					if (ff->fl_type == MAILIMAP_FLAG_FETCH_OTHER && ff->fl_flag &&
					    ff->fl_flag->fl_type == MAILIMAP_FLAG_DELETED)
						deleted = 1;
				}
			} else if (it->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID) {
				uid = it->att_data.att_static->att_data.att_uid;
			} else if (it->att_data.att_static->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) {
				size = it->att_data.att_static->att_data.att_rfc822_size;
			} else if (it->att_data.att_static->att_type == MAILIMAP_MSG_ATT_INTERNALDATE) {
				when = imap_internaldate(it->att_data.att_static->att_data.att_internal_date);
				have_date = 1;
			}
		}
		if (next != NULL && uid >= *next)
			*next = uid + 1;
		if (uid == 0 || deleted || !have_date || when > before)
			continue;
		*items = xreallocarray(*items, *n + 1, sizeof(**items));
		(*items)[*n].uid = uid;
		(*items)[*n].size = size;
		(*n)++;
	}
	mailimap_fetch_list_free(res);
	if (*n > 1)
		qsort(*items, *n, sizeof(**items), imap_item_cmp);
	return 0;
}

/* The whole message, or only its header section. */
static int imap_fetch_section(struct imap_session *im, const char *folder, uint32_t uid,
    int header_only, size_t size_hint, char **data, size_t *len)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *c, *a;
	int r;

	*data = NULL;
	if (imap_select(im, folder) < 0)
		return -1;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section(header_only ? mailimap_section_new_header() :
	    mailimap_section_new(NULL)));
	set = mailimap_set_new_single(uid);
	imap_arm(im, size_hint);
	r = mailimap_uid_fetch(im->imap, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, "UID FETCH", r);
	for (c = clist_begin(res); c != NULL && *data == NULL; c = clist_next(c)) {
		struct mailimap_msg_att *m = clist_content(c);
		uint32_t u = 0;
		const char *body = NULL;
		size_t blen = 0;

		for (a = clist_begin(m->att_list); a != NULL; a = clist_next(a)) {
			struct mailimap_msg_att_item *it = clist_content(a);

			if (it->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (it->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				u = it->att_data.att_static->att_data.att_uid;
			else if (it->att_data.att_static->att_type == MAILIMAP_MSG_ATT_BODY_SECTION) {
				body = it->att_data.att_static->att_data.att_body_section->sec_body_part;
				blen = it->att_data.att_static->att_data.att_body_section->sec_length;
			}
		}
		if (u == uid && body != NULL) {
			*data = xmalloc(blen + 1);
			memcpy(*data, body, blen);
			(*data)[blen] = '\0';
			*len = blen;
		}
	}
	mailimap_fetch_list_free(res);
	if (*data == NULL) {
		snprintf(im->err, sizeof(im->err), "%s: UID %u vanished from %s", im->cfg->imap_host,
		    uid, folder);
		return -1;
	}
	return 0;
}

/*
 * Where the whole message's literal goes as libetpan reads it: a memfd
 * (msgfd.h), in 64 KiB writes, so that neither libetpan's literal nor a
 * copy of it is ever in memory (issue 12, item 4).
 */
#define IMAP_SINK_BUF 65536

struct imap_sink {
	int fd;
	size_t len;		/* bytes taken */
	size_t used;		/* of buf, not written yet */
	int failed;
	int err;		/* errno of the write that failed */
	char *buf;
};

static int imap_sink_flush(struct imap_sink *k)
{
	if (k->used > 0 && !k->failed && msgfd_write(k->fd, k->buf, k->used) < 0) {
		k->failed = 1;
		k->err = errno;
	}
	k->used = 0;
	return k->failed ? -1 : 0;
}

static bool imap_sink_take(int type, struct mailimap_msg_att_body_section *sec, const char *bytes,
    size_t n, void *ctx)
{
	struct imap_sink *k = ctx;

	if (type != MAILIMAP_MSG_ATT_BODY_SECTION || k->failed)
		return false;
	(void)sec;
	k->len += n;
	while (n > 0) {
		size_t room = IMAP_SINK_BUF - k->used, c = n < room ? n : room;

		memcpy(k->buf + k->used, bytes, c);
		k->used += c;
		bytes += c;
		n -= c;
		if (k->used == IMAP_SINK_BUF && imap_sink_flush(k) < 0)
			return false;
	}
	return true;
}

/*
 * The whole message into a new sealed memfd, streamed from the literal:
 * *fd (the caller's) and *len. The response must carry exactly one body
 * section, of uid: anything else is not this message.
 */
static int imap_fetch_fd(void *ctx, const char *folder, uint32_t uid, size_t size, int *fd,
    size_t *len)
{
	struct imap_session *im = ctx;
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	struct imap_sink k;
	clist *res = NULL;
	clistiter *c, *a;
	int r, found = 0, other = 0;

	*fd = -1;
	*len = 0;
	if (imap_select(im, folder) < 0)
		return -1;
	memset(&k, 0, sizeof(k));
	if ((k.fd = msgfd_new()) < 0) {
		snprintf(im->err, sizeof(im->err), "%s: no memfd for UID %u: %s", im->cfg->imap_host,
		    uid, strerror(errno));
		return -1;
	}
	k.buf = xmalloc(IMAP_SINK_BUF);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	set = mailimap_set_new_single(uid);
	imap_arm(im, size);
	mailimap_set_msg_body_handler(im->imap, imap_sink_take, &k);
	r = mailimap_uid_fetch(im->imap, set, ft, &res);
	mailimap_set_msg_body_handler(im->imap, NULL, NULL);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	imap_sink_flush(&k);
	free(k.buf);
	if (r != MAILIMAP_NO_ERROR) {
		close(k.fd);
		return imap_fail(im, "UID FETCH", r);
	}
	/* the literal went to the memfd: here only whose it was */
	for (c = clist_begin(res); c != NULL; c = clist_next(c)) {
		struct mailimap_msg_att *m = clist_content(c);
		uint32_t u = 0;
		int body = 0;

		for (a = clist_begin(m->att_list); a != NULL; a = clist_next(a)) {
			struct mailimap_msg_att_item *it = clist_content(a);

			if (it->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (it->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				u = it->att_data.att_static->att_data.att_uid;
			else if (it->att_data.att_static->att_type == MAILIMAP_MSG_ATT_BODY_SECTION)
				body++;
		}
		if (u == uid && body == 1)
			found++;
		else if (body > 0)
			other++;
	}
	mailimap_fetch_list_free(res);
	if (!k.failed && found == 1 && other == 0 && msgfd_seal(k.fd) < 0) {
		k.failed = 1;
		k.err = errno;
	}
	if (k.failed || found != 1 || other != 0) {
		close(k.fd);
		if (k.failed)
			snprintf(im->err, sizeof(im->err), "%s: UID %u could not be stored: %s",
			    im->cfg->imap_host, uid, strerror(k.err));
		else if (found == 0 && other == 0)
			snprintf(im->err, sizeof(im->err), "%s: UID %u vanished from %s",
			    im->cfg->imap_host, uid, folder);
		else
			snprintf(im->err, sizeof(im->err), "%s: UID FETCH of %u answered with "
			    "another message's body", im->cfg->imap_host, uid);
		return -1;
	}
	*fd = k.fd;
	*len = k.len;
	return 0;
}

/* A name the quoted form of RFC 3501 carries as it is: printable ASCII, " and \\ escaped. */
static int imap_quotable(const char *name)
{
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return name[0] != '\0' && strlen(name) < 256;
}

/*
 * APPEND with a non-synchronising literal (LITERAL+, RFC 7888): the
 * command, the data and its CRLF go in one flush, without waiting a round
 * trip for the server's "+". libetpan's own mailimap_append always waits
 * for it; the tagged answer is still read by libetpan's parser.
 */
static int imap_append_plus(struct imap_session *im, const char *folder, const char *data,
    size_t len)
{
	mailstream *s = im->imap->imap_stream;
	struct mailimap_response *resp = NULL;
	char cmd[600];
	size_t n = 0;
	const char *p;
	int r, ok;

	n += (size_t)snprintf(cmd, sizeof(cmd), "%d APPEND \"", ++im->imap->imap_tag);
	for (p = folder; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			cmd[n++] = '\\';
		cmd[n++] = *p;
	}
	n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "\" (\\Seen) {%zu+}\r\n",
	    mailstream_get_data_crlf_size(data, len));
	if (mailstream_write(s, cmd, n) != (ssize_t)n ||
	    mailstream_send_data_crlf(s, data, len, 0, NULL) != 0 ||
	    mailstream_write(s, "\r\n", 2) != 2 || mailstream_flush(s) == -1)
		return imap_fail(im, "APPEND", MAILIMAP_ERROR_STREAM);
	if (mailimap_read_line(im->imap) == NULL)
		return imap_fail(im, "APPEND", MAILIMAP_ERROR_STREAM);
	r = mailimap_parse_response(im->imap, &resp);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, "APPEND", r);
	ok = resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type ==
	    MAILIMAP_RESP_COND_STATE_OK;
	mailimap_response_free(resp);
	return ok ? 0 : imap_fail(im, "APPEND", MAILIMAP_ERROR_APPEND);
}

static int imap_append(void *ctx, const char *folder, const char *data, size_t len)
{
	struct imap_session *im = ctx;
	struct mailimap_flag_list *fl;
	int r;

	imap_arm(im, len);
	if (im->has_literal_plus && imap_quotable(folder))
		return imap_append_plus(im, folder, data, len);
	fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, mailimap_flag_new_seen());
	r = mailimap_append(im->imap, folder, fl, NULL, data, len);
	mailimap_flag_list_free(fl);
	return r == MAILIMAP_NO_ERROR ? 0 : imap_fail(im, "APPEND", r);
}

/* \Deleted on the set, then UID EXPUNGE of exactly the set (EXPUNGE without UIDPLUS). */
static int imap_delete_set(struct imap_session *im, struct mailimap_set *set)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sf;
	int r;

	mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	sf = mailimap_store_att_flags_new_add_flags_silent(fl);
	imap_arm(im, 0);
	r = mailimap_uid_store(im->imap, set, sf);
	mailimap_store_att_flags_free(sf);
	if (r == MAILIMAP_NO_ERROR)
		imap_arm(im, 0);
	if (r == MAILIMAP_NO_ERROR)
		r = im->has_uidplus ? mailimap_uid_expunge(im->imap, set) :
		    mailimap_expunge(im->imap);
	mailimap_set_free(set);
	return r == MAILIMAP_NO_ERROR ? 0 : imap_fail(im, "STORE/EXPUNGE", r);
}

static int imap_delete_uid(struct imap_session *im, uint32_t uid)
{
	return imap_delete_set(im, mailimap_set_new_single(uid));
}

static int imap_move(void *ctx, const char *from, uint32_t uid, const char *to)
{
	struct imap_session *im = ctx;
	struct mailimap_set *set;
	int r;

	if (imap_select(im, from) < 0)
		return -1;
	set = mailimap_set_new_single(uid);
	imap_arm(im, 0);
	if (im->has_move)
		r = mailimap_uid_move(im->imap, set, to);
	else
		r = mailimap_uid_copy(im->imap, set, to);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, im->has_move ? "UID MOVE" : "UID COPY", r);
	return im->has_move ? 0 : imap_delete_uid(im, uid);
}

static int imap_remove(void *ctx, const char *folder, uint32_t uid)
{
	struct imap_session *im = ctx;

	if (imap_select(im, folder) < 0)
		return -1;
	return imap_delete_uid(im, uid);
}

static int imap_remove_set(void *ctx, const char *folder, const uint32_t *uids, size_t n)
{
	struct imap_session *im = ctx;
	struct mailimap_set *set;
	size_t i;

	if (n == 0)
		return 0;
	if (imap_select(im, folder) < 0)
		return -1;
	set = mailimap_set_new_empty();
	for (i = 0; i < n; i++)
		mailimap_set_add_single(set, uids[i]);
	return imap_delete_set(im, set);
}

static int imap_search(void *ctx, const char *folder, const char *field, const char *value,
    uint32_t **uids, size_t *n)
{
	struct imap_session *im = ctx;
	struct mailimap_search_key *k, *all;
	clist *res = NULL;
	clistiter *c;
	int r;

	*uids = NULL;
	*n = 0;
	if (imap_select(im, folder) < 0)
		return -1;
	all = mailimap_search_key_new_multiple_empty();
	k = mailimap_search_key_new_header(xstrdup(field), xstrdup(value));
	mailimap_search_key_multiple_add(all, k);
	mailimap_search_key_multiple_add(all, mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNDELETED,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
	    NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL));
	imap_arm(im, 0);
	r = mailimap_uid_search(im->imap, NULL, all, &res);
	mailimap_search_key_free(all);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, "UID SEARCH", r);
	for (c = clist_begin(res); c != NULL; c = clist_next(c)) {
		*uids = xreallocarray(*uids, *n + 1, sizeof(**uids));
		(*uids)[(*n)++] = *(uint32_t *)clist_content(c);
	}
	mailimap_search_result_free(res);
	return 0;
}

static int imap_fetch(void *ctx, const char *folder, uint32_t uid, size_t size, char **data,
    size_t *len)
{
	return imap_fetch_section(ctx, folder, uid, 0, size, data, len);
}

static int imap_fetch_header(void *ctx, const char *folder, uint32_t uid, char **data,
    size_t *len)
{
	return imap_fetch_section(ctx, folder, uid, 1, 0, data, len);
}

void imap_ops(struct imap_session *im, struct ob_mail *ops)
{
	ops->ctx = im;
	ops->list = imap_list;
	ops->fetch = imap_fetch;
	ops->fetch_header = imap_fetch_header;
	ops->fetch_fd = imap_fetch_fd;
	ops->append = imap_append;
	ops->move = imap_move;
	ops->remove = imap_remove;
	ops->remove_set = imap_remove_set;
	ops->search = imap_search;
}

long imap_count(struct imap_session *im, const char *folder)
{
	struct ob_item *items = NULL;
	size_t n = 0;

	if (imap_list(im, folder, (time_t)1 << 40, &items, &n) < 0)
		return -1;
	free(items);
	return (long)n;
}

long imap_count_messages(struct imap_session *im, const char *folder)
{
	uint32_t *uids = NULL;
	size_t notices = 0;
	long all = imap_count(im, folder);

	if (all < 0 || imap_search(im, folder, "X-Mailgate-Notice", "", &uids, &notices) < 0)
		return -1;
	free(uids);
	return all >= (long)notices ? all - (long)notices : 0;
}

/*
 * Starts IDLE on folder: 1 it changed already (a fresh SELECT's UIDNEXT is
 * above what the last list saw, so a message appended just before IDLE is
 * not left for the next poll), 0 idling (*fd the socket), -1 failed.
 */
static int imap_idle_begin(struct imap_session *im, const char *folder, int *fd)
{
	uint32_t *next = imap_next_of(im, folder);
	int r;

	free(im->selected);
	im->selected = NULL;
	if (imap_select(im, folder) < 0)
		return -1;
	if (next != NULL && im->imap->imap_selection_info &&
	    im->imap->imap_selection_info->sel_uidnext > *next)
		return 1;
	imap_arm(im, 0);
	r = mailimap_idle(im->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, "IDLE", r);
	*fd = mailstream_low_get_fd(mailstream_get_low(im->imap->imap_stream));
	return tls_pending(im->imap->imap_stream) ? 2 : 0;
}

static int imap_idle_end(struct imap_session *im)
{
	int r;

	imap_arm(im, 0);
	r = mailimap_idle_done(im->imap);
	return r == MAILIMAP_NO_ERROR ? 0 : imap_fail(im, "IDLE DONE", r);
}

/* poll() over n sockets in one-second slices (SIGTERM and SIGHUP seen promptly). */
static int imap_poll(struct pollfd *p, int n, time_t end, volatile sig_atomic_t *stop)
{
	int i, r;

	while (!*stop && time(NULL) < end) {
		for (i = 0; i < n; i++)
			p[i].revents = 0;
		r = poll(p, (nfds_t)n, 1000);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
	}
	return 0;
}

int imap_wait(struct imap_session *im, const char *folder, int seconds,
    volatile sig_atomic_t *stop)
{
	struct pollfd p;
	time_t end = time(NULL) + seconds;
	int r, ready;

	if (!im->has_idle) {
		while (!*stop && time(NULL) < end)
			usleep(TLS_SLICE_MS * 1000);
		imap_arm(im, 0);
		r = mailimap_noop(im->imap);
		return r == MAILIMAP_NO_ERROR ? 0 : imap_fail(im, "NOOP", r);
	}
	if ((r = imap_idle_begin(im, folder, &p.fd)) != 0 && r != 2)
		return r;
	p.events = POLLIN;
	ready = r == 2 || imap_poll(&p, 1, end, stop);
	if (imap_idle_end(im) < 0)
		return -1;
	return ready;
}

int imap_wait_two(struct imap_session *a, const char *fa, struct imap_session *b,
    const char *fb, int seconds, volatile sig_atomic_t *stop)
{
	struct pollfd p[2];
	time_t end = time(NULL) + seconds;
	int ra, rb, ready;

	if (!a->has_idle || !b->has_idle)
		return imap_wait(a, fa, seconds, stop);
	if ((ra = imap_idle_begin(a, fa, &p[0].fd)) < 0)
		return -1;
	if (ra == 1)
		return 1;
	if ((rb = imap_idle_begin(b, fb, &p[1].fd)) != 0 && rb != 2) {
		if (imap_idle_end(a) < 0)
			return -1;
		return rb < 0 ? -2 : 1;
	}
	p[0].events = p[1].events = POLLIN;
	ready = ra == 2 || rb == 2 || imap_poll(p, 2, end, stop);
	ra = imap_idle_end(a);
	rb = imap_idle_end(b);
	if (ra < 0)
		return -1;
	if (rb < 0)
		return -2;
	return ready;
}

