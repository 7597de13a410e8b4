/*
 * sendlog - the tamper-evident send log on SQLite; see include/sendlog.h.
 *
 * Every row's chain value covers the previous chain value and all of the
 * row's columns (length-prefixed, in a fixed order, its sequence number
 * included), so an altered, deleted, inserted or reordered row breaks the
 * chain at that row; each chain value is signed (Ed25519) so that readers,
 * who can recompute hashes, cannot make a broken chain whole again. Writes
 * are durable before sendlog_add() returns (WAL, synchronous=FULL).
 */
#include "sendlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "mgdate.h"
#include "util.h"

#define SENDLOG_SCHEMA 1

struct sendlog {
	sqlite3 *db;
	char *dir;
	int flags;
	unsigned char person_key[32];
	int have_person_key;
	EVP_PKEY *sign;		/* private key (writers) */
	EVP_PKEY *verify;	/* public key */
	int in_txn;		/* inside sendlog_begin() ... sendlog_commit() */
	int unsynced;		/* grouped commits not yet on the disk */
	int grouped;		/* the open transaction is one (synchronous=NORMAL until its end) */
	int wrote;		/* rows added through this handle: publish the copy at close */
	time_t copy_time;	/* SENDLOG_COPY: when the copy was published */
	/* prepared statements (sendlog_stmt), by owner and the owner's enum; NULL until used */
	sqlite3_stmt **stmts[SENDLOG_NSTMTS_OWNERS];
	unsigned nstmts[SENDLOG_NSTMTS_OWNERS];
};

/* The log's own per-message statements (sendlog_stmt). */
enum sendlog_stmt_id {
	SLS_BEGIN, SLS_COMMIT, SLS_ROLLBACK, SLS_LAST, SLS_ANCHOR_LAST, SLS_INSERT, SLS_PERSON,
	SLS_WAS_SENT, SLS_SENT_TO, SLS_HAS_OUTCOME, SLS_NSTMTS
};

static const char *const sendlog_sql[SLS_NSTMTS] = {
	[SLS_BEGIN] = "BEGIN IMMEDIATE",
	[SLS_COMMIT] = "COMMIT",
	[SLS_ROLLBACK] = "ROLLBACK",
	[SLS_LAST] = "SELECT seq, chain FROM log ORDER BY seq DESC LIMIT 1",
	[SLS_ANCHOR_LAST] = "SELECT seq, chain FROM anchor",
	[SLS_INSERT] = "INSERT INTO log(seq, time, kind, direction, process, recipient, rclass, org,"
	    " outcome, records, message_id, reasons, submitted_by, policy_version, detail, persons,"
	    " prev, chain, sig) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[SLS_PERSON] = "INSERT INTO person(seq, hmac) VALUES (?, ?)",
	[SLS_WAS_SENT] = "SELECT 1 FROM log WHERE message_id = ? AND kind = 'message'"
	    " AND outcome = 'sent' LIMIT 1",
	[SLS_SENT_TO] = "SELECT process, rclass, org, records FROM log WHERE message_id = ? AND"
	    " kind = 'message' AND direction = 'out' AND outcome = 'sent'"
	    " AND lower(recipient) = lower(?) ORDER BY seq LIMIT 1",
	[SLS_HAS_OUTCOME] = "SELECT 1 FROM log WHERE message_id = ? AND kind = 'message'"
	    " AND direction = 'out' AND outcome = ? AND lower(recipient) = lower(?) LIMIT 1",
};

static const struct sendlog_stmts sendlog_stmts = { SENDLOG_STMTS_LOG, SLS_NSTMTS, sendlog_sql };

static const char sendlog_schema[] =
    "CREATE TABLE IF NOT EXISTS log(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
    " kind TEXT NOT NULL, direction TEXT, process TEXT, recipient TEXT, rclass TEXT, org TEXT,"
    " outcome TEXT, records INTEGER, message_id TEXT, reasons TEXT, submitted_by TEXT,"
    " policy_version TEXT, detail TEXT, persons TEXT, prev TEXT NOT NULL, chain TEXT NOT NULL,"
    " sig TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS log_time ON log(time);"
    "CREATE INDEX IF NOT EXISTS log_msgid ON log(message_id);"
    "CREATE INDEX IF NOT EXISTS log_recipient ON log(recipient);"
    "CREATE TABLE IF NOT EXISTS person(seq INTEGER NOT NULL, hmac TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS person_hmac ON person(hmac);"
    "CREATE TABLE IF NOT EXISTS anchor(id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,"
    " chain TEXT NOT NULL, removed INTEGER NOT NULL, sig TEXT NOT NULL);";

/*
 * What the queries (logquery.c) need, made on every writer's open so that
 * older logs get it too: Message-IDs are matched case-insensitively, and
 * the report verifies the chain, whose person check counts each row's
 * persons (without person_seq, a scan of person per row: hours for a
 * million rows). The report is computed from the chained rows; the
 * unchained counts table of earlier versions goes.
 */
static const char sendlog_query_schema[] =
    "CREATE INDEX IF NOT EXISTS log_msgid_ci ON log(lower(message_id));"
    "CREATE INDEX IF NOT EXISTS person_seq ON person(seq);"
    /*
     * the mode is read before every message: the newest mode row, not a scan
     * of the log; partial, so that no other query is planned over it
     */
    "CREATE INDEX IF NOT EXISTS log_mode ON log(seq) WHERE kind = 'mode';"
    "DROP TABLE IF EXISTS monthly;";

static const char zero_chain[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

void
sendlog_time(time_t t, char out[21])
{
	int y, m, d;
	long long s = (long long)t, day = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	long long sod = s - day * 86400;

	char tmp[64];

	mgday_to_ymd((mgday)day, &y, &m, &d);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sod / 3600),
	    (int)(sod / 60 % 60), (int)(sod % 60));
	memcpy(out, tmp, 20);
	out[20] = '\0';
}

int
sendlog_parse_time(const char *s, int end_of_day, time_t *out)
{
	int y, m, d, H = 0, M = 0, S = 0, n = 0, oh = 0, om = 0;
	long off = 0;
	mgday day;
	char sign;

	if (strlen(s) == 10) {
		if (!mgday_parse_iso(s, &day))
			return 0;
		*out = (time_t)day * 86400 + (end_of_day ? 86399 : 0);
		return 1;
	}
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &m, &d, &H, &M, &S, &n) != 6 &&
	    (n = 0, sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &m, &d, &H, &M, &n) != 5))
		return 0;
	if (!mgday_from_ymd(y, m, d, &day) || H > 23 || M > 59 || S > 60)
		return 0;
	s += n;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	if (strcmp(s, "Z") == 0 || *s == '\0') {
		off = 0;
	} else if ((*s == '+' || *s == '-') && (sscanf(s + 1, "%2d:%2d", &oh, &om) == 2 ||
	    sscanf(s + 1, "%2d%2d", &oh, &om) == 2) && oh < 24 && om < 60) {
		sign = *s;
		off = (sign == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
	} else {
		return 0;
	}
	*out = (time_t)day * 86400 + H * 3600 + M * 60 + S - off;
	return 1;
}

/* --- keys --- */

static int
sendlog_derive(const unsigned char *key, size_t keylen, unsigned char out[32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5], *p = params;
	int ok;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)"mailgate send log", 17);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)"mailgate nino v1", 16);
	p[4] = OSSL_PARAM_construct_end();
	ok = kctx && EVP_KDF_derive(kctx, out, 32, params) == 1;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

void
sendlog_person(struct sendlog *sl, const char stem[NINO_STEM_LEN], char out[65])
{
	unsigned char md[32];
	size_t mdlen = sizeof(md);
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	EVP_MAC_init(ctx, sl->person_key, sizeof(sl->person_key), params);
	EVP_MAC_update(ctx, (const unsigned char *)stem, NINO_STEM_LEN);
	EVP_MAC_final(ctx, md, &mdlen, sizeof(md));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	hex_encode(md, 32, out);
}

static EVP_PKEY *
sendlog_read_key(const char *path, int private)
{
	EVP_PKEY *k;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return NULL;
	k = private ? PEM_read_PrivateKey(fp, NULL, NULL, NULL) : PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	return k;
}

/* Written whole or not at all: a temporary file, fsync, rename, the folder's fsync. */
static int
sendlog_write_key(const char *dir, const char *path, EVP_PKEY *k, int private, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode), dfd;
	FILE *fp;
	int ok;

	if (fd < 0 || fchmod(fd, mode) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		free(tmp);
		return -1;
	}
	ok = private ? PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_PUBKEY(fp, k);
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
		ok = 0;
	fclose(fp);
	if (ok && rename(tmp, path) < 0)
		ok = 0;
	if (!ok)
		unlink(tmp);
	free(tmp);
	if (ok && (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		ok = fsync(dfd) == 0;
		close(dfd);
	}
	return ok ? 0 : -1;
}

/*
 * The writer's key pair, made on first use: the public half first, so
 * that a private key on disk always has its public half. A public half
 * missing beside a private key (a crash of an older version between the
 * two) is written again from it.
 */
static int
sendlog_writer_key(struct sendlog *sl, const char *priv, const char *pub, char *err,
    size_t errlen)
{
	sl->sign = sendlog_read_key(priv, 1);
	if (sl->sign == NULL && access(priv, F_OK) != 0) {
		sl->sign = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		if (sl->sign == NULL || sendlog_write_key(sl->dir, pub, sl->sign, 0, 0640) < 0 ||
		    sendlog_write_key(sl->dir, priv, sl->sign, 1, 0600) < 0) {
			snprintf(err, errlen, "%s: cannot create the signing key: %s", priv,
			    strerror(errno));
			return -1;
		}
	}
	if (sl->sign == NULL) {
		snprintf(err, errlen, "%s: cannot read the signing key", priv);
		return -1;
	}
	if (access(pub, F_OK) != 0 && errno == ENOENT &&
	    sendlog_write_key(sl->dir, pub, sl->sign, 0, 0640) < 0) {
		snprintf(err, errlen, "%s: cannot write the public key: %s", pub, strerror(errno));
		return -1;
	}
	return 0;
}

/* The signing key pair (writers) and the public key (everyone). */
static int
sendlog_keys(struct sendlog *sl, char *err, size_t errlen)
{
	char *priv = xasprintf("%s/sign.key", sl->dir), *pub = xasprintf("%s/sign.pub", sl->dir);
	int rc = -1;

	if ((sl->flags & SENDLOG_WRITE) && sendlog_writer_key(sl, priv, pub, err, errlen) < 0)
		goto out;
	sl->verify = sendlog_read_key(pub, 0);
	if (sl->verify == NULL) {
		snprintf(err, errlen, "%s: cannot read the log's public key", pub);
		goto out;
	}
	rc = 0;
out:
	free(priv);
	free(pub);
	return rc;
}

static void
sendlog_sign_msg(struct sendlog *sl, const char *msg, size_t len, char out[129])
{
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	EVP_DigestSignInit(ctx, NULL, NULL, NULL, sl->sign);
	EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg, len);
	EVP_MD_CTX_free(ctx);
	hex_encode(sig, 64, out);
}

/* A chain value is signed as its 64 hex characters. */
static void
sendlog_sign(struct sendlog *sl, const char *chain_hex, char out[129])
{
	sendlog_sign_msg(sl, chain_hex, 64, out);
}

static int
sendlog_unhex(const char *h, unsigned char *out, size_t n)
{
	size_t i;

	if (h == NULL || strlen(h) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned v = 0;

		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static int
sendlog_check_msg(struct sendlog *sl, const char *msg, size_t len, const char *sig_hex)
{
	unsigned char sig[64];
	EVP_MD_CTX *ctx;
	int ok;

	if (sendlog_unhex(sig_hex, sig, 64) < 0)
		return 0;
	ctx = EVP_MD_CTX_new();
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, sl->verify) == 1 &&
	    EVP_DigestVerify(ctx, sig, 64, (const unsigned char *)msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static int
sendlog_check_sig(struct sendlog *sl, const char *chain_hex, const char *sig_hex)
{
	if (chain_hex == NULL || strlen(chain_hex) != 64)
		return 0;
	return sendlog_check_msg(sl, chain_hex, 64, sig_hex);
}

/* --- the chain --- */

#define SENDLOG_NCOLS 16	/* seq .. persons, in table order */

/* A column's value as stored: its bytes and their number (a NUL inside counts); p NULL: absent. */
struct sendlog_val {
	const char *p;
	size_t n;
};

static struct sendlog_val
sendlog_str(const char *s)
{
	struct sendlog_val v = { s, s ? strlen(s) : 0 };

	return v;
}

static void
sendlog_canon_add(EVP_MD_CTX *ctx, const struct sendlog_val *v)
{
	unsigned char len[4];
	uint32_t n = v->p ? (uint32_t)v->n : 0xFFFFFFFFu;

	len[0] = (unsigned char)(n >> 24);
	len[1] = (unsigned char)(n >> 16);
	len[2] = (unsigned char)(n >> 8);
	len[3] = (unsigned char)n;
	EVP_DigestUpdate(ctx, len, 4);
	if (v->p)
		EVP_DigestUpdate(ctx, v->p, v->n);
}

/* chain = SHA-256(prev || each column, length-prefixed); an absent column has no bytes. */
static void
sendlog_chain(const char *prev, const struct sendlog_val cols[SENDLOG_NCOLS], char out[65])
{
	unsigned char md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int i;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, prev, 64);
	for (i = 0; i < SENDLOG_NCOLS; i++)
		sendlog_canon_add(ctx, &cols[i]);
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	hex_encode(md, 32, out);
}

/* The anchor's signed text: its sequence number, chain value and count of removed rows. */
static void
sendlog_anchor_text(long long seq, const char *chain, long long removed, char out[65])
{
	struct sendlog_val cols[SENDLOG_NCOLS] = { { 0 } };
	char *seqs = xasprintf("%lld", seq), *rem = xasprintf("%lld", removed);

	cols[0] = sendlog_str(seqs);
	cols[1] = sendlog_str(rem);
	cols[2] = sendlog_str("anchor");
	sendlog_chain(chain && strlen(chain) == 64 ? chain : zero_chain, cols, out);
	free(seqs);
	free(rem);
}

static int
sendlog_exec(struct sendlog *sl, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(sl->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s/sendlog.db: %s", sl->dir, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Steps one of the log's statements that return no rows (BEGIN, COMMIT, ROLLBACK); err may be NULL. */
static int
sendlog_run(struct sendlog *sl, enum sendlog_stmt_id id, char *err, size_t errlen)
{
	sqlite3_stmt *st = sendlog_stmt(sl, &sendlog_stmts, id);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;

	if (rc != SQLITE_DONE && err != NULL)
		sendlog_db_error(sl, err, errlen);
	sendlog_stmt_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The newest row's sequence number and chain value, or the anchor's (SLS_LAST, SLS_ANCHOR_LAST). */
static int
sendlog_last_of(struct sendlog *sl, enum sendlog_stmt_id id, long long *seq, char chain[65])
{
	sqlite3_stmt *st = sendlog_stmt(sl, &sendlog_stmts, id);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;

	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		snprintf(chain, 65, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sendlog_stmt_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
sendlog_last(struct sendlog *sl, long long *seq, char chain[65])
{
	int rc;

	*seq = 0;
	memcpy(chain, zero_chain, 65);
	rc = sendlog_last_of(sl, SLS_LAST, seq, chain);
	/* an empty log continues from the anchor, if any */
	if (rc == 0)
		rc = sendlog_last_of(sl, SLS_ANCHOR_LAST, seq, chain);
	return rc < 0 ? -1 : 0;
}

static char *
sendlog_num(long long v)
{
	return xasprintf("%lld", v);
}

/* The person index of row seq: one HMAC per person. */
static int
sendlog_insert_persons(struct sendlog *sl, const struct sendlog_row *r, long long seq)
{
	sqlite3_stmt *st;
	char hm[65];
	size_t i;
	int c = SQLITE_DONE;

	if (r->npersons == 0)
		return 0;
	if ((st = sendlog_stmt(sl, &sendlog_stmts, SLS_PERSON)) == NULL)
		return -1;
	for (i = 0; i < r->npersons && c == SQLITE_DONE; i++) {
		sendlog_person(sl, r->persons[i].s, hm);
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_text(st, 2, hm, -1, SQLITE_TRANSIENT);
		c = sqlite3_step(st);
		sqlite3_reset(st);
	}
	sendlog_stmt_done(st);
	return c == SQLITE_DONE ? 0 : -1;
}

/* Inside a transaction: appends the row after the current head. */
static int
sendlog_insert(struct sendlog *sl, const struct sendlog_row *r, char *err, size_t errlen)
{
	char prev[65], chain[65], sig[129], hm[65];
	const char *cols[SENDLOG_NCOLS];
	struct sendlog_val vals[SENDLOG_NCOLS];
	char *seqs, *times, *recs = NULL;
	struct sbuf persons;
	sqlite3_stmt *st;
	long long seq;
	size_t i;
	int rc = -1, c;

	if (sendlog_last(sl, &seq, prev) < 0) {
		snprintf(err, errlen, "%s/sendlog.db: %s", sl->dir, sqlite3_errmsg(sl->db));
		return -1;
	}
	seq++;
	sbuf_init(&persons);
	for (i = 0; i < r->npersons; i++) {
		sendlog_person(sl, r->persons[i].s, hm);
		if (persons.len)
			sbuf_addc(&persons, ' ');
		sbuf_adds(&persons, hm);
	}
	seqs = sendlog_num(seq);
	times = sendlog_num((long long)r->time);
	if (r->records >= 0)
		recs = sendlog_num(r->records);
	cols[0] = seqs; cols[1] = times; cols[2] = r->kind; cols[3] = r->direction;
	cols[4] = r->process; cols[5] = r->recipient; cols[6] = r->rclass; cols[7] = r->org;
	cols[8] = r->outcome; cols[9] = recs; cols[10] = r->message_id; cols[11] = r->reasons;
	cols[12] = r->submitted_by; cols[13] = r->policy_version; cols[14] = r->detail;
	cols[15] = persons.len ? persons.data : NULL;
	for (c = 0; c < SENDLOG_NCOLS; c++)
		vals[c] = sendlog_str(cols[c]);
	sendlog_chain(prev, vals, chain);
	sendlog_sign(sl, chain, sig);
	if ((st = sendlog_stmt(sl, &sendlog_stmts, SLS_INSERT)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, (long long)r->time);
	for (c = 2; c < SENDLOG_NCOLS; c++) {
		if (c == 9 && r->records >= 0)
			sqlite3_bind_int(st, 10, r->records);
		else if (c != 9)
			sqlite3_bind_text(st, c + 1, cols[c], -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(st, 17, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 18, chain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 19, sig, -1, SQLITE_STATIC);
	c = sqlite3_step(st);
	sendlog_stmt_done(st);
	if (c != SQLITE_DONE)
		goto out;
	if (sendlog_insert_persons(sl, r, seq) < 0)
		goto out;
	rc = 0;
	sl->wrote = 1;
out:
	if (rc < 0)
		snprintf(err, errlen, "%s/sendlog.db: %s", sl->dir, sqlite3_errmsg(sl->db));
	free(seqs);
	free(times);
	free(recs);
	sbuf_free(&persons);
	return rc;
}

/* Back to synchronous=FULL after a grouped transaction; a connection that cannot must not write. */
static void
sendlog_full_again(struct sendlog *sl)
{
	char err[256];

	sl->grouped = 0;
	if (sendlog_exec(sl, "PRAGMA synchronous=FULL", err, sizeof(err)) < 0)
		sl->flags &= ~SENDLOG_WRITE;
}

int
sendlog_begin(struct sendlog *sl, char *err, size_t errlen)
{
	if (!(sl->flags & SENDLOG_WRITE)) {
		snprintf(err, errlen, "the send log is open read-only");
		return -1;
	}
	if (sl->in_txn) {
		snprintf(err, errlen, "internal error: send log transaction already open");
		return -1;
	}
	if (sendlog_run(sl, SLS_BEGIN, err, errlen) < 0)
		return -1;
	sl->in_txn = 1;
	return 0;
}

int
sendlog_commit(struct sendlog *sl, char *err, size_t errlen)
{
	int rc;

	if (!sl->in_txn) {
		snprintf(err, errlen, "internal error: no send log transaction open");
		return -1;
	}
	rc = sendlog_run(sl, SLS_COMMIT, err, errlen);
	if (rc < 0)
		(void)sendlog_run(sl, SLS_ROLLBACK, NULL, 0);
	sl->in_txn = 0;
	if (sl->grouped) {
		if (rc == 0)
			sl->unsynced = 1;
		sendlog_full_again(sl);
	} else if (rc == 0) {
		sl->unsynced = 0;	/* the WAL's fsync took the grouped commits with it */
	}
	return rc;
}

int
sendlog_begin_grouped(struct sendlog *sl, char *err, size_t errlen)
{
	if (sl->flags & SENDLOG_NOSYNC)
		return sendlog_begin(sl, err, errlen);
	/* SQLite refuses to change it inside a transaction: NORMAL from here to the commit */
	if (!(sl->flags & SENDLOG_WRITE) || sl->in_txn)
		return sendlog_begin(sl, err, errlen);
	if (sendlog_exec(sl, "PRAGMA synchronous=NORMAL", err, errlen) < 0)
		return -1;
	if (sendlog_begin(sl, err, errlen) < 0) {
		sendlog_full_again(sl);
		return -1;
	}
	sl->grouped = 1;
	return 0;
}

int
sendlog_sync(struct sendlog *sl, char *err, size_t errlen)
{
	char *wal;
	int fd, rc = 0;

	if (!sl->unsynced)
		return 0;
	wal = xasprintf("%s/sendlog.db-wal", sl->dir);
	fd = open(wal, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		rc = -1;
	/* no WAL: a checkpoint moved every frame into the database and synced it */
	if (fd >= 0 && fdatasync(fd) < 0)
		rc = -1;
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", wal, strerror(errno));
	else
		sl->unsynced = 0;
	if (fd >= 0)
		close(fd);
	free(wal);
	return rc;
}

void
sendlog_rollback(struct sendlog *sl)
{
	if (sl->in_txn)
		(void)sendlog_run(sl, SLS_ROLLBACK, NULL, 0);
	sl->in_txn = 0;
	if (sl->grouped)
		sendlog_full_again(sl);
}

void
sendlog_db_error(struct sendlog *sl, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s/sendlog.db: %s", sl->dir, sqlite3_errmsg(sl->db));
}

int
sendlog_add_rows(struct sendlog *sl, const struct sendlog_row *r, size_t n, char *err,
    size_t errlen)
{
	int own = !sl->in_txn;
	size_t i;

	if (own && sendlog_begin(sl, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (sendlog_insert(sl, &r[i], err, errlen) < 0) {
			if (own)
				sendlog_rollback(sl);
			return -1;
		}
	return own ? sendlog_commit(sl, err, errlen) : 0;
}

int
sendlog_add(struct sendlog *sl, const struct sendlog_row *r, char *err, size_t errlen)
{
	return sendlog_add_rows(sl, r, 1, err, errlen);
}

/* --- open --- */

static int
sendlog_migrate(struct sendlog *sl, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;

	if (sqlite3_prepare_v2(sl->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > SENDLOG_SCHEMA) {
		snprintf(err, errlen, "%s/sendlog.db: schema version %d is newer than this program's %d",
		    sl->dir, version, SENDLOG_SCHEMA);
		return -1;
	}
	if (!(sl->flags & SENDLOG_WRITE))
		return 0;
	if (version == SENDLOG_SCHEMA)
		return sendlog_exec(sl, sendlog_query_schema, err, errlen);
	/* version 0 is a new file: create everything in one step */
	if (sendlog_exec(sl, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if (sendlog_exec(sl, sendlog_schema, err, errlen) < 0 ||
	    sendlog_exec(sl, sendlog_query_schema, err, errlen) < 0 ||
	    sendlog_exec(sl, "PRAGMA user_version = 1", err, errlen) < 0) {
		sqlite3_exec(sl->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return sendlog_exec(sl, "COMMIT", err, errlen);
}

/*
 * The live database, its WAL and its shared memory are the writer's alone
 * (0600): whoever may open the -shm file can take SQLite's locks and stop
 * the daemon. Readers open the published copy instead.
 */
static int
sendlog_private_files(const char *path, char *err, size_t errlen)
{
	static const char *const ext[] = { "-wal", "-shm" };
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t i;

	if (fd < 0 || fchmod(fd, 0600) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	for (i = 0; i < 2; i++) {
		char *p = xasprintf("%s%s", path, ext[i]);
		int bad = chmod(p, 0600) < 0 && errno != ENOENT;

		if (bad)
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
		free(p);
		if (bad)
			return -1;
	}
	return 0;
}

/* "file:PATH?immutable=1", PATH percent-encoded: the copy never changes, so no locks, no -shm. */
static char *
sendlog_copy_uri(const char *path)
{
	struct sbuf u;
	const char *p;

	sbuf_init(&u);
	sbuf_adds(&u, "file:");
	for (p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("/-._~", c))
			sbuf_addc(&u, (char)c);
		else {
			char hex[4];

			snprintf(hex, sizeof(hex), "%%%02X", c);
			sbuf_adds(&u, hex);
		}
	}
	sbuf_adds(&u, "?immutable=1");
	return u.data;
}

static int
sendlog_open_db(struct sendlog *sl, const char *state_dir, int flags, char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s", state_dir, (flags & SENDLOG_COPY) ? SENDLOG_COPY_NAME :
	    "sendlog.db"), *uri = NULL;
	struct stat st;
	int rc = -1;

	if (flags & SENDLOG_WRITE) {
		if (sendlog_private_files(path, err, errlen) < 0)
			goto out;
		/* nothing for others, no group write; the set-group-ID bit stays */
		if (stat(state_dir, &st) == 0 && (st.st_mode & 0027))
			chmod(state_dir, st.st_mode & 07750);
	}
	if (flags & SENDLOG_COPY) {
		if (stat(path, &st) < 0) {
			snprintf(err, errlen, "%s: %s%s", path, strerror(errno), errno == ENOENT ?
			    " (the readers' copy: the daemon publishes it once it runs)" : "");
			goto out;
		}
		sl->copy_time = st.st_mtime;
		uri = sendlog_copy_uri(path);
	}
	if (sqlite3_open_v2(uri ? uri : path, &sl->db, (flags & SENDLOG_WRITE) ?
	    SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY | (uri ? SQLITE_OPEN_URI : 0), NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sl->db ? sqlite3_errmsg(sl->db) : "cannot open");
		goto out;
	}
	rc = 0;
out:
	free(path);
	free(uri);
	return rc;
}

int
sendlog_open(const char *state_dir, const unsigned char *key, size_t keylen, int flags,
    struct sendlog **out, char *err, size_t errlen)
{
	struct sendlog *sl = xcalloc(1, sizeof(*sl));
	int one = 1;

	*out = NULL;
	if ((flags & SENDLOG_COPY) && (flags & SENDLOG_WRITE)) {
		snprintf(err, errlen, "internal error: the readers' copy cannot be written");
		free(sl);
		return -1;
	}
	sl->dir = xstrdup(state_dir);
	sl->flags = flags;
	if (key && sendlog_derive(key, keylen, sl->person_key) == 0)
		sl->have_person_key = 1;
	if (sendlog_open_db(sl, state_dir, flags, err, errlen) < 0)
		goto fail;
	sqlite3_busy_timeout(sl->db, 10000);
	if (flags & SENDLOG_WRITE) {
		/* the WAL files stay, so that the owner can query while the daemon is stopped */
		sqlite3_file_control(sl->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
		if (sendlog_exec(sl, "PRAGMA journal_mode=WAL", err, errlen) < 0 ||
		    sendlog_exec(sl, (flags & SENDLOG_NOSYNC) ? "PRAGMA synchronous=OFF" :
		    "PRAGMA synchronous=FULL", err, errlen) < 0)
			goto fail;
	}
	if (sendlog_migrate(sl, err, errlen) < 0 || sendlog_keys(sl, err, errlen) < 0)
		goto fail;
	*out = sl;
	return 0;
fail:
	sendlog_close(sl);
	return -1;
}

/* Before the handle closes: sqlite3_close() refuses while a statement is left. */
static void
sendlog_stmts_free(struct sendlog *sl)
{
	unsigned o, i;

	for (o = 0; o < SENDLOG_NSTMTS_OWNERS; o++) {
		for (i = 0; i < sl->nstmts[o]; i++)
			sqlite3_finalize(sl->stmts[o][i]);
		free(sl->stmts[o]);
		sl->stmts[o] = NULL;
		sl->nstmts[o] = 0;
	}
}

void
sendlog_close(struct sendlog *sl)
{
	if (sl == NULL)
		return;
	if (sl->db && sl->wrote && (sl->flags & SENDLOG_WRITE)) {
		char err[512];

		/* best effort: the daemon publishes again within a minute */
		sendlog_publish(sl, NULL, 0, err, sizeof(err));
	}
	sendlog_stmts_free(sl);
	if (sl->db)
		sqlite3_close(sl->db);
	EVP_PKEY_free(sl->sign);
	EVP_PKEY_free(sl->verify);
	explicit_bzero(sl->person_key, sizeof(sl->person_key));
	free(sl->dir);
	free(sl);
}

time_t
sendlog_copy_time(const struct sendlog *sl)
{
	return sl->copy_time;
}

struct sqlite3 *
sendlog_db(struct sendlog *sl)
{
	return sl->db;
}

sqlite3_stmt *
sendlog_stmt(struct sendlog *sl, const struct sendlog_stmts *set, unsigned id)
{
	unsigned o = (unsigned)set->owner;
	sqlite3_stmt **slot;

	if (o >= SENDLOG_NSTMTS_OWNERS || id >= set->n ||
	    (sl->stmts[o] != NULL && sl->nstmts[o] != set->n))
		abort();	/* a caller's bug */
	if (sl->stmts[o] == NULL) {
		sl->stmts[o] = xcalloc(set->n, sizeof(sl->stmts[o][0]));
		sl->nstmts[o] = set->n;
	}
	slot = &sl->stmts[o][id];
	/* still stepping: a use did not end with sendlog_stmt_done(), or this one is nested in it */
	if (*slot != NULL && sqlite3_stmt_busy(*slot))
		abort();
	/* a failed preparation is tried again next time (a table made since, say) */
	if (*slot == NULL && sqlite3_prepare_v2(sl->db, set->sql[id], -1, slot, NULL) != SQLITE_OK)
		*slot = NULL;
	return *slot;
}

void
sendlog_stmt_done(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int
sendlog_was_sent(struct sendlog *sl, const char *message_id)
{
	sqlite3_stmt *st = sendlog_stmt(sl, &sendlog_stmts, SLS_WAS_SENT);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, message_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sendlog_stmt_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static char *
sendlog_col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

int
sendlog_sent_to(struct sendlog *sl, const char *message_id, const char *recipient,
    struct sendlog_sent *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = sendlog_stmt(sl, &sendlog_stmts, SLS_SENT_TO)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->process = sendlog_col_dup(st, 0);
		out->rclass = sendlog_col_dup(st, 1);
		out->org = sendlog_col_dup(st, 2);
		out->records = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 :
		    sqlite3_column_int(st, 3);
	}
	sendlog_stmt_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
sendlog_has_outcome(struct sendlog *sl, const char *message_id, const char *recipient,
    const char *outcome)
{
	sqlite3_stmt *st = sendlog_stmt(sl, &sendlog_stmts, SLS_HAS_OUTCOME);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, recipient, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sendlog_stmt_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

void
sendlog_sent_free(struct sendlog_sent *s)
{
	free(s->process);
	free(s->rclass);
	free(s->org);
	memset(s, 0, sizeof(*s));
}

/* --- heads --- */

int
sendlog_head(struct sendlog *sl, char out[SENDLOG_HEAD_LEN + 1])
{
	long long seq;
	char chain[65];

	if (sendlog_last(sl, &seq, chain) < 0)
		return -1;
	snprintf(out, SENDLOG_HEAD_LEN + 1, "%016llx%s", (unsigned long long)seq, chain);
	return 0;
}

int
sendlog_head_parse(const char *s, long long *seq, char chain[65])
{
	size_t n = strlen(s), i;
	unsigned long long v = 0;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return -1;
	if (n != 64 && n != SENDLOG_HEAD_LEN)
		return -1;
	*seq = -1;	/* a bare chain value, as recorded before heads carried their row */
	if (n == SENDLOG_HEAD_LEN) {
		for (i = 0; i < 16; i++)
			v = v * 16 + (unsigned)(s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
		if (v > (1ull << 62))
			return -1;
		*seq = (long long)v;
		s += 16;
	}
	for (i = 0; i < 64; i++)
		chain[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] | 0x20 : s[i]);
	chain[64] = '\0';
	return 0;
}

/* What a head's signature covers: a prefix no row's text has, then the head. */
#define SENDLOG_HEAD_DOMAIN "mailgate send log head "

static int
sendlog_head_signed_text(const char *head, char out[sizeof(SENDLOG_HEAD_DOMAIN) + SENDLOG_HEAD_LEN])
{
	return snprintf(out, sizeof(SENDLOG_HEAD_DOMAIN) + SENDLOG_HEAD_LEN, "%s%s",
	    SENDLOG_HEAD_DOMAIN, head);
}

int
sendlog_head_line(struct sendlog *sl, const char *head, char *out, size_t outlen)
{
	char text[sizeof(SENDLOG_HEAD_DOMAIN) + SENDLOG_HEAD_LEN], sig[129];
	long long seq;
	char chain[65];

	if (sl->sign == NULL || sendlog_head_parse(head, &seq, chain) < 0 || seq < 0)
		return -1;
	sendlog_sign_msg(sl, text, (size_t)sendlog_head_signed_text(head, text), sig);
	snprintf(out, outlen, "log head: %s signature %s", head, sig);
	return 0;
}

int
sendlog_head_from_line(struct sendlog *sl, const char *line, char head[SENDLOG_HEAD_LEN + 1])
{
	char text[sizeof(SENDLOG_HEAD_DOMAIN) + SENDLOG_HEAD_LEN], sig[129], chain[65];
	const char *p = strstr(line, "log head: ");
	long long seq;

	if (p == NULL || strlen(p += 10) < SENDLOG_HEAD_LEN + 11 + 128 ||
	    strncmp(p + SENDLOG_HEAD_LEN, " signature ", 11) != 0)
		return -1;
	memcpy(head, p, SENDLOG_HEAD_LEN);
	head[SENDLOG_HEAD_LEN] = '\0';
	memcpy(sig, p + SENDLOG_HEAD_LEN + 11, 128);
	sig[128] = '\0';
	if (sendlog_head_parse(head, &seq, chain) < 0)
		return -1;
	return sendlog_check_msg(sl, text, (size_t)sendlog_head_signed_text(head, text), sig);
}

/* --- verification --- */

/* Where the walk is, and the recorded head it looks for on the way. */
struct sendlog_walk {
	long long expect;	/* the last row verified (the anchor's at first) */
	char prev[65];
	long long head_seq;	/* -1: a bare chain value, found by its value */
	char head_chain[65];
	int head_found;
};

static int
sendlog_verify_anchor(struct sendlog *sl, struct sendlog_walk *w, char *what, size_t whatlen)
{
	sqlite3_stmt *st;
	char signed_text[65];
	int rc = 0;

	w->expect = 0;
	memcpy(w->prev, zero_chain, 65);
	if (sqlite3_prepare_v2(sl->db, "SELECT seq, chain, removed, sig FROM anchor", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *chain = (const char *)sqlite3_column_text(st, 1);

		sendlog_anchor_text(sqlite3_column_int64(st, 0), chain, sqlite3_column_int64(st, 2),
		    signed_text);
		if (!sendlog_check_sig(sl, signed_text, (const char *)sqlite3_column_text(st, 3))) {
			snprintf(what, whatlen, "the purge anchor was altered");
			rc = 1;
		}
		w->expect = sqlite3_column_int64(st, 0);
		snprintf(w->prev, 65, "%s", chain ? chain : "");
	}
	sqlite3_finalize(st);
	if (rc == 0 && (w->head_seq == w->expect || w->head_seq == -1) &&
	    strcmp(w->head_chain, w->prev) == 0) {
		w->head_found = 1;
		w->head_seq = w->expect;
	}
	return rc;
}

/* One row of the walk: in sequence, after the one before, unaltered, signed; the head if it is there. */
static int
sendlog_verify_row(struct sendlog *sl, sqlite3_stmt *st, struct sendlog_walk *w, char *what,
    size_t whatlen)
{
	struct sendlog_val cols[SENDLOG_NCOLS];
	long long seq = sqlite3_column_int64(st, 0);
	const char *prev = (const char *)sqlite3_column_text(st, 16);
	char chain[65], ts[21];
	int c;

	for (c = 0; c < SENDLOG_NCOLS; c++) {
		/* text first, then its length in bytes: a NUL inside a value is hashed too */
		cols[c].p = (const char *)sqlite3_column_text(st, c);
		cols[c].n = (size_t)sqlite3_column_bytes(st, c);
	}
	sendlog_time((time_t)sqlite3_column_int64(st, 1), ts);
	if (seq != w->expect + 1) {
		snprintf(what, whatlen, "row %lld (%s): row %lld is missing before it", seq, ts,
		    w->expect + 1);
		return 1;
	}
	if (prev == NULL || strcmp(prev, w->prev) != 0) {
		snprintf(what, whatlen, "row %lld (%s): does not follow the row before it "
		    "(deleted, inserted or reordered)", seq, ts);
		return 1;
	}
	sendlog_chain(w->prev, cols, chain);
	if (sqlite3_column_text(st, 17) == NULL ||
	    strcmp(chain, (const char *)sqlite3_column_text(st, 17)) != 0) {
		snprintf(what, whatlen, "row %lld (%s): its contents were altered", seq, ts);
		return 1;
	}
	if (!sendlog_check_sig(sl, chain, (const char *)sqlite3_column_text(st, 18))) {
		snprintf(what, whatlen, "row %lld (%s): its signature does not match", seq, ts);
		return 1;
	}
	if (w->head_seq == seq && strcmp(chain, w->head_chain) != 0) {
		snprintf(what, whatlen, "row %lld (%s) is not the recorded head: the log was replaced, "
		    "or rolled back and written again", seq, ts);
		return 1;
	}
	if ((w->head_seq == seq || w->head_seq == -1) && strcmp(chain, w->head_chain) == 0) {
		w->head_found = 1;
		w->head_seq = seq;
	}
	memcpy(w->prev, chain, 65);
	w->expect = seq;
	return 0;
}

static int
sendlog_verify_rows(struct sendlog *sl, struct sendlog_walk *w, char *what, size_t whatlen)
{
	sqlite3_stmt *st;
	int rc = 0, step;

	if (sqlite3_prepare_v2(sl->db, "SELECT seq, time, kind, direction, process, recipient, rclass,"
	    " org, outcome, records, message_id, reasons, submitted_by, policy_version, detail,"
	    " persons, prev, chain, sig FROM log ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = sendlog_verify_row(sl, st, w, what, whatlen);
	sqlite3_finalize(st);
	if (rc == 0 && step != SQLITE_DONE)
		return -1;
	return rc;
}

/*
 * Every value has the type its column is written with: a number stored as
 * text or a text as a blob hashes the same but compares otherwise in queries.
 */
static int
sendlog_verify_types(struct sendlog *sl, char *what, size_t whatlen)
{
	static const char sql[] = "SELECT seq FROM log WHERE typeof(seq) != 'integer' OR"
	    " typeof(time) != 'integer' OR typeof(kind) != 'text' OR typeof(records) NOT IN"
	    " ('integer', 'null') OR typeof(prev) != 'text' OR typeof(chain) != 'text' OR"
	    " typeof(sig) != 'text' OR typeof(direction) NOT IN ('text', 'null') OR typeof(process)"
	    " NOT IN ('text', 'null') OR typeof(recipient) NOT IN ('text', 'null') OR typeof(rclass)"
	    " NOT IN ('text', 'null') OR typeof(org) NOT IN ('text', 'null') OR typeof(outcome) NOT IN"
	    " ('text', 'null') OR typeof(message_id) NOT IN ('text', 'null') OR typeof(reasons) NOT IN"
	    " ('text', 'null') OR typeof(submitted_by) NOT IN ('text', 'null') OR"
	    " typeof(policy_version) NOT IN ('text', 'null') OR typeof(detail) NOT IN ('text', 'null')"
	    " OR typeof(persons) NOT IN ('text', 'null') ORDER BY seq LIMIT 1";
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(sl->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(what, whatlen, "row %lld: a value's type was changed",
		    sqlite3_column_int64(st, 0));
		rc = 1;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The person index must be exactly what the chained rows say. */
static int
sendlog_verify_persons(struct sendlog *sl, char *what, size_t whatlen)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(sl->db, "SELECT p.seq FROM person p LEFT JOIN log l ON l.seq = p.seq"
	    " WHERE l.persons IS NULL OR instr(' ' || l.persons || ' ', ' ' || p.hmac || ' ') = 0"
	    " UNION ALL SELECT l.seq FROM log l WHERE l.persons IS NOT NULL AND"
	    " (length(l.persons) + 1) / 65 != (SELECT count(*) FROM person p WHERE p.seq = l.seq)"
	    " LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(what, whatlen, "the person index of row %lld was altered",
		    sqlite3_column_int64(st, 0));
		rc = 1;
	}
	sqlite3_finalize(st);
	return rc;
}

/* After the walk: was the recorded head on it? */
static int
sendlog_verify_end(const struct sendlog_walk *w, long long first, const char *head, char *what,
    size_t whatlen)
{
	if (head == NULL || w->head_found)
		return 0;
	if (w->head_seq < 0) {
		snprintf(what, whatlen, "the recorded head %s is not in the log: rows were removed, or "
		    "the log was rolled back or replaced", head);
		return 1;
	}
	if (w->head_seq < first) {
		snprintf(what, whatlen, "the recorded head is row %lld, which was purged (the log now "
		    "starts after row %lld): give a newer head", w->head_seq, first);
		return SENDLOG_UNCHECKED;
	}
	if (w->head_seq == first) {
		snprintf(what, whatlen, "the purge anchor at row %lld is not the recorded head: the log "
		    "was replaced", first);
		return 1;
	}
	snprintf(what, whatlen, "the log ends at row %lld, before the recorded head at row %lld: "
	    "rows were removed or the log was rolled back", w->expect, w->head_seq);
	return 1;
}

int
sendlog_verify(struct sendlog *sl, const char *head, struct sendlog_check *chk, char *what,
    size_t whatlen)
{
	struct sendlog_walk w;
	long long first;
	int rc;

	memset(&w, 0, sizeof(w));
	memset(chk, 0, sizeof(*chk));
	chk->after = -1;
	w.head_seq = -2;	/* no head: matches no row */
	if (head && sendlog_head_parse(head, &w.head_seq, w.head_chain) < 0) {
		snprintf(what, whatlen, "'%s' is not a head (80 hexadecimal digits)", head);
		return -1;
	}
	if ((rc = sendlog_verify_anchor(sl, &w, what, whatlen)) != 0)
		return rc;
	first = w.expect;
	if ((rc = sendlog_verify_rows(sl, &w, what, whatlen)) != 0 ||
	    (rc = sendlog_verify_types(sl, what, whatlen)) != 0 ||
	    (rc = sendlog_verify_persons(sl, what, whatlen)) != 0 ||
	    (rc = sendlog_verify_end(&w, first, head, what, whatlen)) != 0)
		return rc;
	chk->first = first;
	chk->last = w.expect;
	if (head)
		chk->after = w.expect - w.head_seq;
	return 0;
}

/* --- the verifying key --- */

static int
sendlog_fpr_of(EVP_PKEY *k, char out[SENDLOG_FPR_LEN + 1])
{
	unsigned char raw[32], md[32];
	size_t n = sizeof(raw);

	if (k == NULL || EVP_PKEY_get_raw_public_key(k, raw, &n) != 1 || n != 32)
		return -1;
	SHA256(raw, n, md);
	memcpy(out, "sha256:", 7);
	hex_encode(md, 32, out + 7);
	return 0;
}

int
sendlog_key_fingerprint(struct sendlog *sl, char out[SENDLOG_FPR_LEN + 1])
{
	return sendlog_fpr_of(sl->verify, out);
}

/* 1 when path lies inside dir (both resolved), 0 when not, -1 when either cannot be resolved. */
static int
sendlog_inside(const char *path, const char *dir)
{
	char *rp = realpath(path, NULL), *rd = realpath(dir, NULL);
	size_t n = rd ? strlen(rd) : 0;
	int in = rp && rd ? strncmp(rp, rd, n) == 0 && (rp[n] == '/' || rp[n] == '\0') : -1;

	free(rp);
	free(rd);
	return in;
}

static EVP_PKEY *
sendlog_pinned_file(struct sendlog *sl, const char *pin, char *what, size_t whatlen)
{
	EVP_PKEY *k;
	int in = sendlog_inside(pin, sl->dir);

	if (in != 0) {
		snprintf(what, whatlen, in > 0 ? "log_verify_key: %s is inside state_dir, whose "
		    "owner could replace it with the log; install it under /etc/mailgate" :
		    "log_verify_key: %s: %s", pin, in > 0 ? "" : strerror(errno));
		return NULL;
	}
	if ((k = sendlog_read_key(pin, 0)) == NULL)
		snprintf(what, whatlen, "log_verify_key: %s: not a readable public key (PEM)", pin);
	return k;
}

int
sendlog_pin_key(struct sendlog *sl, const char *pin, char *what, size_t whatlen)
{
	char have[SENDLOG_FPR_LEN + 1], want[SENDLOG_FPR_LEN + 1];
	EVP_PKEY *k = NULL;
	size_t i;

	if (sendlog_fpr_of(sl->verify, have) < 0) {
		snprintf(what, whatlen, "%s/sign.pub: not an Ed25519 key", sl->dir);
		return 1;
	}
	if (strncmp(pin, "sha256:", 7) == 0) {
		snprintf(want, sizeof(want), "%s", pin);
		for (i = 7; want[i]; i++)
			want[i] = (char)(want[i] >= 'A' && want[i] <= 'F' ? want[i] | 0x20 : want[i]);
	} else if ((k = sendlog_pinned_file(sl, pin, what, whatlen)) == NULL ||
	    sendlog_fpr_of(k, want) < 0) {
		EVP_PKEY_free(k);
		return -1;
	}
	if (strcmp(have, want) == 0) {
		EVP_PKEY_free(k);
		return 0;
	}
	snprintf(what, whatlen, "%s/sign.pub (%s) is not the pinned key %s: the log's key was "
	    "replaced", sl->dir, have, want);
	if (k) {
		/* the rows are checked against the pinned key from now on */
		EVP_PKEY_free(sl->verify);
		sl->verify = k;
	}
	return 1;
}

/* --- the readers' copy --- */

static int
sendlog_fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Readable by the log-readers group: the folder's group (set-group-ID folder or not). */
static int
sendlog_copy_modes(const char *tmp, const char *dir)
{
	struct stat st, own;
	int fd = open(tmp, O_RDWR | O_CLOEXEC | O_NOFOLLOW), rc = -1;

	if (fd < 0)
		return -1;
	/*
	 * In a set-group-ID folder (tmpfiles: 2750 mailgate mailgate-log) the
	 * copy has the group already; else try, and keep ours if not allowed
	 * (under PrivateUsers= the group is not even mapped).
	 */
	if (stat(dir, &st) == 0 && fstat(fd, &own) == 0 && own.st_gid != st.st_gid &&
	    fchown(fd, (uid_t)-1, st.st_gid) < 0 && errno != EPERM && errno != EINVAL)
		goto out;
	if (fchmod(fd, 0640) < 0 || fsync(fd) < 0)
		goto out;
	rc = 0;
out:
	close(fd);
	return rc;
}

int
sendlog_publish(struct sendlog *sl, char *line, size_t linelen, char *err, size_t errlen)
{
	char *tmp = xasprintf("%s/.%s.tmp", sl->dir, SENDLOG_COPY_NAME);
	char *dst = xasprintf("%s/%s", sl->dir, SENDLOG_COPY_NAME), *sql;
	char head[SENDLOG_HEAD_LEN + 1];
	int rc = -1;

	if (!(sl->flags & SENDLOG_WRITE)) {
		snprintf(err, errlen, "internal error: only the writer publishes the copy");
		goto out;
	}
	/* the head first: the copy holds it, whatever the owner adds meanwhile */
	if (sendlog_head(sl, head) < 0 || (line && sendlog_head_line(sl, head, line, linelen) < 0)) {
		snprintf(err, errlen, "%s/sendlog.db: %s", sl->dir, sqlite3_errmsg(sl->db));
		goto out;
	}
	if (unlink(tmp) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	sql = sqlite3_mprintf("VACUUM INTO %Q", tmp);
	rc = sendlog_exec(sl, sql, err, errlen);
	sqlite3_free(sql);
	if (rc < 0)
		goto out;
	rc = -1;
	if (sendlog_copy_modes(tmp, sl->dir) < 0 || rename(tmp, dst) < 0 ||
	    sendlog_fsync_path(sl->dir, O_RDONLY | O_DIRECTORY) < 0) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(dst);
	return rc;
}

/* --- retention --- */

time_t
sendlog_cutoff(time_t now, int months)
{
	long long s = (long long)now, day = s / 86400, sod = s - day * 86400;
	int y, m, d, dim;
	mgday out;

	mgday_to_ymd((mgday)day, &y, &m, &d);
	m -= months;
	while (m < 1) {
		m += 12;
		y--;
	}
	dim = mgdate_days_in_month(y, m);
	if (d > dim)
		d = dim;
	mgday_from_ymd(y, m, d, &out);
	return (time_t)((long long)out * 86400 + sod);
}

/* The signed anchor the chain continues from after a purge. */
static int
sendlog_write_anchor(struct sendlog *sl, long long last, const char *chain, long long count)
{
	char anchor_text[65], sig[129];
	sqlite3_stmt *st;
	int rc;

	sendlog_anchor_text(last, chain, count, anchor_text);
	sendlog_sign(sl, anchor_text, sig);
	if (sqlite3_prepare_v2(sl->db, "INSERT OR REPLACE INTO anchor(id, seq, chain, removed, sig)"
	    " VALUES (1, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, last);
	sqlite3_bind_text(st, 2, chain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, count);
	sqlite3_bind_text(st, 4, sig, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
sendlog_purge(struct sendlog *sl, time_t now, int months, const char *who, size_t *removed,
    char *err, size_t errlen)
{
	time_t cut = sendlog_cutoff(now, months);
	struct sendlog_row r;
	sqlite3_stmt *st;
	long long last = -1, count = 0;
	char chain[65] = "", ts[21], *detail;

	*removed = 0;
	if (sendlog_exec(sl, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	/*
	 * The removable prefix: rows before the cutoff, stopping at the first
	 * incident row whose incident had an action at or after the cutoff, so
	 * the chain stays one unbroken run.
	 */
	if (sqlite3_prepare_v2(sl->db, "SELECT seq, chain FROM log l WHERE seq <= coalesce((SELECT"
	    " min(seq) - 1 FROM log k WHERE k.time >= ?1 OR (k.kind = 'incident' AND EXISTS (SELECT 1"
	    " FROM log j WHERE j.kind = 'incident' AND j.message_id IS k.message_id AND j.recipient"
	    " IS k.recipient AND j.time >= ?1))), (SELECT max(seq) FROM log)) ORDER BY seq DESC"
	    " LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, (long long)cut);
	if (sqlite3_step(st) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		snprintf(chain, sizeof(chain), "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (last > 0) {
		char *sql = xasprintf("SELECT count(*) FROM log WHERE seq <= %lld", last);

		if (sqlite3_prepare_v2(sl->db, sql, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			count = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		free(sql);
		sql = xasprintf("DELETE FROM person WHERE seq <= %lld; DELETE FROM log WHERE seq <= %lld;",
		    last, last);
		if (sendlog_exec(sl, sql, err, errlen) < 0) {
			free(sql);
			goto fail_quiet;
		}
		free(sql);
		if (sendlog_write_anchor(sl, last, chain, count) < 0)
			goto fail;
	}
	sendlog_time(cut, ts);
	detail = xasprintf("removed %lld rows before %s", count, ts);
	memset(&r, 0, sizeof(r));
	r.time = now;
	r.kind = "purge";
	r.records = -1;
	r.submitted_by = who;
	r.detail = detail;
	if (sendlog_insert(sl, &r, err, errlen) < 0) {
		free(detail);
		goto fail_quiet;
	}
	free(detail);
	if (sendlog_exec(sl, "COMMIT", err, errlen) < 0)
		return -1;
	*removed = (size_t)count;
	return 0;
fail:
	snprintf(err, errlen, "%s/sendlog.db: %s", sl->dir, sqlite3_errmsg(sl->db));
fail_quiet:
	sqlite3_exec(sl->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
