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
};

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
    " chain TEXT NOT NULL, removed INTEGER NOT NULL, sig TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS intent(id INTEGER PRIMARY KEY, message_id TEXT NOT NULL,"
    " stage TEXT NOT NULL, time INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL);";

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

static int
sendlog_write_key(const char *path, EVP_PKEY *k, int private, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *fp;
	int ok;

	if (fd < 0)
		return -1;
	fp = fdopen(fd, "w");
	ok = private ? PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_PUBKEY(fp, k);
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
		ok = 0;
	fclose(fp);
	return ok ? 0 : -1;
}

/* The signing key pair, made on first use by the writer. */
static int
sendlog_keys(struct sendlog *sl, char *err, size_t errlen)
{
	char *priv = xasprintf("%s/sign.key", sl->dir), *pub = xasprintf("%s/sign.pub", sl->dir);
	int rc = -1;

	if (sl->flags & SENDLOG_WRITE) {
		sl->sign = sendlog_read_key(priv, 1);
		if (sl->sign == NULL && access(priv, F_OK) != 0) {
			sl->sign = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
			if (sl->sign == NULL || sendlog_write_key(priv, sl->sign, 1, 0600) < 0 ||
			    sendlog_write_key(pub, sl->sign, 0, 0640) < 0) {
				snprintf(err, errlen, "%s: cannot create the signing key: %s", priv,
				    strerror(errno));
				goto out;
			}
		}
		if (sl->sign == NULL) {
			snprintf(err, errlen, "%s: cannot read the signing key", priv);
			goto out;
		}
	}
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
sendlog_sign(struct sendlog *sl, const char *chain_hex, char out[129])
{
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	EVP_DigestSignInit(ctx, NULL, NULL, NULL, sl->sign);
	EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)chain_hex, 64);
	EVP_MD_CTX_free(ctx);
	hex_encode(sig, 64, out);
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
sendlog_check_sig(struct sendlog *sl, const char *chain_hex, const char *sig_hex)
{
	unsigned char sig[64];
	EVP_MD_CTX *ctx;
	int ok;

	if (sendlog_unhex(sig_hex, sig, 64) < 0 || chain_hex == NULL || strlen(chain_hex) != 64)
		return 0;
	ctx = EVP_MD_CTX_new();
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, sl->verify) == 1 &&
	    EVP_DigestVerify(ctx, sig, 64, (const unsigned char *)chain_hex, 64) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* --- the chain --- */

#define SENDLOG_NCOLS 16	/* seq .. persons, in table order */

static void
sendlog_canon_add(EVP_MD_CTX *ctx, const char *s)
{
	unsigned char len[4];
	uint32_t n = s ? (uint32_t)strlen(s) : 0xFFFFFFFFu;

	len[0] = (unsigned char)(n >> 24);
	len[1] = (unsigned char)(n >> 16);
	len[2] = (unsigned char)(n >> 8);
	len[3] = (unsigned char)n;
	EVP_DigestUpdate(ctx, len, 4);
	if (s)
		EVP_DigestUpdate(ctx, s, strlen(s));
}

/* chain = SHA-256(prev || each column, length-prefixed); cols[i] may be NULL. */
static void
sendlog_chain(const char *prev, const char *const cols[SENDLOG_NCOLS], char out[65])
{
	unsigned char md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int i;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, prev, 64);
	for (i = 0; i < SENDLOG_NCOLS; i++)
		sendlog_canon_add(ctx, cols[i]);
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	hex_encode(md, 32, out);
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

static int
sendlog_last(struct sendlog *sl, long long *seq, char chain[65])
{
	sqlite3_stmt *st;
	int rc;

	*seq = 0;
	memcpy(chain, zero_chain, 65);
	if (sqlite3_prepare_v2(sl->db, "SELECT seq, chain FROM log ORDER BY seq DESC LIMIT 1", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		snprintf(chain, 65, "%s", (const char *)sqlite3_column_text(st, 1));
	} else if (rc == SQLITE_DONE) {
		/* an empty log continues from the anchor, if any */
		sqlite3_finalize(st);
		if (sqlite3_prepare_v2(sl->db, "SELECT seq, chain FROM anchor", -1, &st, NULL) != SQLITE_OK)
			return -1;
		if (sqlite3_step(st) == SQLITE_ROW) {
			*seq = sqlite3_column_int64(st, 0);
			snprintf(chain, 65, "%s", (const char *)sqlite3_column_text(st, 1));
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static char *
sendlog_num(long long v)
{
	return xasprintf("%lld", v);
}

/* Inside a transaction: appends the row after the current head. */
static int
sendlog_insert(struct sendlog *sl, const struct sendlog_row *r, char *err, size_t errlen)
{
	static const char sql[] = "INSERT INTO log(seq, time, kind, direction, process, recipient,"
	    " rclass, org, outcome, records, message_id, reasons, submitted_by, policy_version,"
	    " detail, persons, prev, chain, sig) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	char prev[65], chain[65], sig[129], hm[65];
	const char *cols[SENDLOG_NCOLS];
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
	sendlog_chain(prev, cols, chain);
	sendlog_sign(sl, chain, sig);
	if (sqlite3_prepare_v2(sl->db, sql, -1, &st, NULL) != SQLITE_OK)
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
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		goto out;
	}
	sqlite3_finalize(st);
	for (i = 0; i < r->npersons; i++) {
		if (sqlite3_prepare_v2(sl->db, "INSERT INTO person(seq, hmac) VALUES (?, ?)", -1, &st,
		    NULL) != SQLITE_OK)
			goto out;
		sendlog_person(sl, r->persons[i].s, hm);
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_text(st, 2, hm, -1, SQLITE_TRANSIENT);
		c = sqlite3_step(st);
		sqlite3_finalize(st);
		if (c != SQLITE_DONE)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		snprintf(err, errlen, "%s/sendlog.db: %s", sl->dir, sqlite3_errmsg(sl->db));
	free(seqs);
	free(times);
	free(recs);
	sbuf_free(&persons);
	return rc;
}

int
sendlog_add_rows(struct sendlog *sl, const struct sendlog_row *r, size_t n, char *err,
    size_t errlen)
{
	size_t i;

	if (!(sl->flags & SENDLOG_WRITE)) {
		snprintf(err, errlen, "the send log is open read-only");
		return -1;
	}
	if (sendlog_exec(sl, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (sendlog_insert(sl, &r[i], err, errlen) < 0) {
			sqlite3_exec(sl->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	return sendlog_exec(sl, "COMMIT", err, errlen);
}

int
sendlog_add(struct sendlog *sl, const struct sendlog_row *r, char *err, size_t errlen)
{
	return sendlog_add_rows(sl, r, 1, err, errlen);
}

int
sendlog_add_state(struct sendlog *sl, const struct sendlog_row *r, const char *key,
    const char *value, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int ok;

	if (!(sl->flags & SENDLOG_WRITE)) {
		snprintf(err, errlen, "the send log is open read-only");
		return -1;
	}
	if (sendlog_exec(sl, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if (sendlog_insert(sl, r, err, errlen) < 0)
		goto fail;
	if (sqlite3_prepare_v2(sl->db, "INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)", -1,
	    &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s/sendlog.db: %s", sl->dir, sqlite3_errmsg(sl->db));
		goto fail;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	if (!ok) {
		snprintf(err, errlen, "%s/sendlog.db: %s", sl->dir, sqlite3_errmsg(sl->db));
		goto fail;
	}
	return sendlog_exec(sl, "COMMIT", err, errlen);
fail:
	sqlite3_exec(sl->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

char *
sendlog_state_get(struct sendlog *sl, const char *key)
{
	sqlite3_stmt *st;
	char *v = NULL;

	if (sqlite3_prepare_v2(sl->db, "SELECT value FROM state WHERE key = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
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

int
sendlog_open(const char *state_dir, const unsigned char *key, size_t keylen, int flags,
    struct sendlog **out, char *err, size_t errlen)
{
	struct sendlog *sl = xcalloc(1, sizeof(*sl));
	char *path = xasprintf("%s/sendlog.db", state_dir);
	int one = 1, fd;

	*out = NULL;
	sl->dir = xstrdup(state_dir);
	sl->flags = flags;
	if (key && sendlog_derive(key, keylen, sl->person_key) == 0)
		sl->have_person_key = 1;
	if (flags & SENDLOG_WRITE) {
		/* made here so that its mode (and so the WAL files') is 0640 from the start */
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		close(fd);
		chmod(state_dir, 0750);
	}
	if (sqlite3_open_v2(path, &sl->db, (flags & SENDLOG_WRITE) ?
	    SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sl->db ? sqlite3_errmsg(sl->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(sl->db, 10000);
	if (flags & SENDLOG_WRITE) {
		/* the WAL files stay, so that readers can query while the daemon is stopped */
		sqlite3_file_control(sl->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
		if (sendlog_exec(sl, "PRAGMA journal_mode=WAL", err, errlen) < 0 ||
		    sendlog_exec(sl, (flags & SENDLOG_NOSYNC) ? "PRAGMA synchronous=OFF" :
		    "PRAGMA synchronous=FULL", err, errlen) < 0)
			goto fail;
	}
	if (sendlog_migrate(sl, err, errlen) < 0 || sendlog_keys(sl, err, errlen) < 0)
		goto fail;
	free(path);
	*out = sl;
	return 0;
fail:
	free(path);
	sendlog_close(sl);
	return -1;
}

void
sendlog_close(struct sendlog *sl)
{
	if (sl == NULL)
		return;
	if (sl->db)
		sqlite3_close(sl->db);
	EVP_PKEY_free(sl->sign);
	EVP_PKEY_free(sl->verify);
	explicit_bzero(sl->person_key, sizeof(sl->person_key));
	free(sl->dir);
	free(sl);
}

struct sqlite3 *
sendlog_db(struct sendlog *sl)
{
	return sl->db;
}

/* --- intents --- */

long long
sendlog_intent(struct sendlog *sl, const char *message_id, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	long long id = -1;

	if (sqlite3_prepare_v2(sl->db, "INSERT INTO intent(message_id, stage, time) VALUES (?, 'begun', ?)",
	    -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, message_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (long long)time(NULL));
		if (sqlite3_step(st) == SQLITE_DONE)
			id = sqlite3_last_insert_rowid(sl->db);
		sqlite3_finalize(st);
	}
	if (id < 0)
		snprintf(err, errlen, "%s/sendlog.db: %s", sl->dir, sqlite3_errmsg(sl->db));
	return id;
}

static int
sendlog_intent_set(struct sendlog *sl, long long id, const char *sql, const char *stage)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(sl->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (stage) {
		sqlite3_bind_text(st, 1, stage, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
	} else {
		sqlite3_bind_int64(st, 1, id);
	}
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

int
sendlog_intent_progress(struct sendlog *sl, long long id, const char *stage)
{
	return sendlog_intent_set(sl, id, "UPDATE intent SET stage = ? WHERE id = ?", stage);
}

int
sendlog_intent_done(struct sendlog *sl, long long id)
{
	return sendlog_intent_set(sl, id, "UPDATE intent SET done = 1 WHERE id = ?", NULL);
}

int
sendlog_intents_open(struct sendlog *sl, struct sendlog_intent **out, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(sl->db, "SELECT id, message_id, stage, time FROM intent WHERE done = 0"
	    " ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[*n].id = sqlite3_column_int64(st, 0);
		(*out)[*n].message_id = xstrdup((const char *)sqlite3_column_text(st, 1));
		(*out)[*n].stage = xstrdup((const char *)sqlite3_column_text(st, 2));
		(*out)[*n].time = (time_t)sqlite3_column_int64(st, 3);
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void
sendlog_intents_free(struct sendlog_intent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].message_id);
		free(v[i].stage);
	}
	free(v);
}

int
sendlog_was_sent(struct sendlog *sl, const char *message_id)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(sl->db, "SELECT 1 FROM log WHERE message_id = ? AND kind = 'message'"
	    " AND outcome = 'sent' LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, message_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* --- verification --- */

int
sendlog_head(struct sendlog *sl, char out[65])
{
	long long seq;

	return sendlog_last(sl, &seq, out);
}

static int
sendlog_verify_anchor(struct sendlog *sl, long long *seq, char prev[65], char *what,
    size_t whatlen)
{
	sqlite3_stmt *st;
	char signed_text[65];
	int rc = 0;

	*seq = 0;
	memcpy(prev, zero_chain, 65);
	if (sqlite3_prepare_v2(sl->db, "SELECT seq, chain, removed, sig FROM anchor", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *chain = (const char *)sqlite3_column_text(st, 1);
		const char *cols[SENDLOG_NCOLS] = { 0 };
		char *seqs = sendlog_num(sqlite3_column_int64(st, 0));
		char *rem = sendlog_num(sqlite3_column_int64(st, 2));

		/* the anchor's signature covers its sequence number, chain and count */
		cols[0] = seqs;
		cols[1] = rem;
		cols[2] = "anchor";
		sendlog_chain(chain && strlen(chain) == 64 ? chain : zero_chain, cols, signed_text);
		if (!sendlog_check_sig(sl, signed_text, (const char *)sqlite3_column_text(st, 3))) {
			snprintf(what, whatlen, "the purge anchor was altered");
			rc = 1;
		}
		*seq = sqlite3_column_int64(st, 0);
		snprintf(prev, 65, "%s", chain ? chain : "");
		free(seqs);
		free(rem);
	}
	sqlite3_finalize(st);
	return rc;
}

int
sendlog_verify(struct sendlog *sl, const char *head, char *what, size_t whatlen)
{
	char prev[65], chain[65], ts[21];
	sqlite3_stmt *st;
	long long expect, seq;
	int rc, step;

	rc = sendlog_verify_anchor(sl, &expect, prev, what, whatlen);
	if (rc != 0)
		return rc;
	if (sqlite3_prepare_v2(sl->db, "SELECT seq, time, kind, direction, process, recipient, rclass,"
	    " org, outcome, records, message_id, reasons, submitted_by, policy_version, detail,"
	    " persons, prev, chain, sig FROM log ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cols[SENDLOG_NCOLS];
		int c;

		seq = sqlite3_column_int64(st, 0);
		for (c = 0; c < SENDLOG_NCOLS; c++)
			cols[c] = (const char *)sqlite3_column_text(st, c);
		sendlog_time((time_t)sqlite3_column_int64(st, 1), ts);
		if (seq != expect + 1) {
			snprintf(what, whatlen, "row %lld (%s): row %lld is missing before it", seq, ts,
			    expect + 1);
			rc = 1;
			break;
		}
		if (strcmp((const char *)sqlite3_column_text(st, 16), prev) != 0) {
			snprintf(what, whatlen, "row %lld (%s): does not follow the row before it "
			    "(deleted, inserted or reordered)", seq, ts);
			rc = 1;
			break;
		}
		sendlog_chain(prev, cols, chain);
		if (strcmp(chain, (const char *)sqlite3_column_text(st, 17)) != 0) {
			snprintf(what, whatlen, "row %lld (%s): its contents were altered", seq, ts);
			rc = 1;
			break;
		}
		if (!sendlog_check_sig(sl, chain, (const char *)sqlite3_column_text(st, 18))) {
			snprintf(what, whatlen, "row %lld (%s): its signature does not match", seq, ts);
			rc = 1;
			break;
		}
		memcpy(prev, chain, 65);
		expect = seq;
	}
	sqlite3_finalize(st);
	if (rc == 0 && step != SQLITE_DONE)
		return -1;
	if (rc == 0) {
		/* the person index must be exactly what the chained rows say */
		if (sqlite3_prepare_v2(sl->db, "SELECT p.seq FROM person p LEFT JOIN log l ON l.seq = p.seq"
		    " WHERE l.persons IS NULL OR instr(' ' || l.persons || ' ', ' ' || p.hmac || ' ') = 0"
		    " UNION ALL SELECT l.seq FROM log l WHERE l.persons IS NOT NULL AND"
		    " (length(l.persons) + 1) / 65 != (SELECT count(*) FROM person p WHERE p.seq = l.seq)"
		    " LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW) {
				snprintf(what, whatlen, "the person index of row %lld was altered",
				    sqlite3_column_int64(st, 0));
				rc = 1;
			}
			sqlite3_finalize(st);
		}
	}
	if (rc == 0 && head && strcmp(head, prev) != 0) {
		snprintf(what, whatlen, "the head is %s, not the recorded %s: rows were removed or "
		    "the log was replaced", prev, head);
		rc = 1;
	}
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

int
sendlog_purge(struct sendlog *sl, time_t now, int months, const char *who, size_t *removed,
    char *err, size_t errlen)
{
	time_t cut = sendlog_cutoff(now, months);
	struct sendlog_row r;
	sqlite3_stmt *st;
	long long last = -1, count = 0;
	char chain[65] = "", sig[129], ts[21], *detail;
	const char *cols[SENDLOG_NCOLS] = { 0 };
	char *seqs, *rem, anchor_text[65];

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
		seqs = sendlog_num(last);
		rem = sendlog_num(count);
		cols[0] = seqs;
		cols[1] = rem;
		cols[2] = "anchor";
		sendlog_chain(chain, cols, anchor_text);
		sendlog_sign(sl, anchor_text, sig);
		if (sqlite3_prepare_v2(sl->db, "INSERT OR REPLACE INTO anchor(id, seq, chain, removed, sig)"
		    " VALUES (1, ?, ?, ?, ?)", -1, &st,
		    NULL) != SQLITE_OK) {
			free(seqs);
			free(rem);
			goto fail;
		}
		sqlite3_bind_int64(st, 1, last);
		sqlite3_bind_text(st, 2, chain, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, count);
		sqlite3_bind_text(st, 4, sig, -1, SQLITE_STATIC);
		free(seqs);
		free(rem);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
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
