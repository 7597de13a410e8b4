/*
 * test_mime - message analysis: size with CRLF endings, duplicates and
 * unreadable headers, recipients and groups, records in every searched
 * place and not in the excluded headers, decoding paths, decoration versus
 * uninspectable parts, limits, the pre-filter, and the result encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uninorm.h>
#include <libetpan/libetpan.h>

#include "mime.h"
#include "mime_int.h"
#include "util.h"

static struct mime_limits L;

static void
analyse(const char *msg, struct mime_result *r)
{
	mime_limits_default(&L, 1 << 20);
	mime_result_init(r);
	assert_int_equal(mime_analyse(msg, strlen(msg), &L, r), 0);
}

static char *
clean(const char *in, size_t len, const char *charset)
{
	struct sbuf b;

	sbuf_init(&b);
	mt_clean(in, len, charset, MT_REFS, &b);
	return sbuf_steal(&b, NULL);
}

/* The one cleaning path: charset, references, NFKC, invisible characters, dashes. */
static void
test_cleaning_path(void **state)
{
	static const char le[] = "A\0B\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "C\0";
	static const char be[] = "\0A\0B\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0C";
	char *c, *h;
	struct mh_section sec[3] = {
		{ 1, 1, "CE654" }, { 0, 1, "utf-8''notes%5F" }, { 2, 0, "321A.txt" }
	};

	(void)state;
	/* UTF-16 with no BOM: by label, or by a NUL in every other byte whatever the label */
	assert_string_equal(c = clean(le, sizeof(le) - 1, "utf-16le"), "AB123456C"), free(c);
	assert_string_equal(c = clean(be, sizeof(be) - 1, "utf-16be"), "AB123456C"), free(c);
	assert_string_equal(c = clean(le, sizeof(le) - 1, "us-ascii"), "AB123456C"), free(c);
	assert_string_equal(c = clean(be, sizeof(be) - 1, NULL), "AB123456C"), free(c);
	assert_true(mt_is_utf16(le, sizeof(le) - 1, NULL));
	assert_false(mt_is_utf16("AB123456C and more", 18, NULL));
	/* references, invisible characters, full-width forms, separator dashes and spaces */
	assert_string_equal(c = clean("C&#69;6&#x35;4&shy;3&amp;21A", 28, NULL), "CE6543&21A"), free(c);
	assert_string_equal(c = clean("CE\xC2\xAD" "65\xE2\x80\x8B" "43\xE2\x81\xA0" "21\xEF\xBB\xBF" "A", 21,
	    "utf-8"), "CE654321A"), free(c);
	assert_string_equal(c = clean("\xEF\xBC\xA3\xEF\xBC\xA5\xEF\xBC\x96\xEF\xBC\x95", 12, "utf-8"), "CE65"),
	    free(c);
	assert_string_equal(c = clean("CE\xE3\x80\x80" "65\xE2\x80\x91" "43\xE2\x88\x92" "21", 17, "utf-8"),
	    "CE 65-43-21"), free(c);
	/* digits of other scripts stay what they are (NFKC does not make them ASCII) */
	assert_string_equal(c = clean("\xD9\xA6", 2, "utf-8"), "\xD9\xA6"), free(c);
	/* an invisible character between a letter and a combining mark: removed first, then composed */
	assert_string_equal(c = clean("e\xE2\x80\x8B\xCC\x81", 6, "utf-8"), "\xC3\xA9"), free(c);
	/* Cyrillic and Greek look-alikes are searched as Latin letters; Latin text is left alone */
	{
		struct sbuf b;

		sbuf_init(&b);
		assert_true(mt_fold_confusables("\xD0\xA1\xD0\x95 65 43 21 \xCE\x91", 16, &b));
		assert_string_equal(b.data, "CE 65 43 21 A");
		sbuf_reset(&b);
		assert_false(mt_fold_confusables("CE 65 43 21 A \xC3\xA9", 15, &b));
		sbuf_free(&b);
	}
	/* headers take the same path: RFC 2047, then the cleaning */
	h = mh_decode("=?utf-8?Q?CE65=E2=80=8B4321A?= &#x41;");
	assert_string_equal(h, "CE654321A A");
	free(h);
	/* RFC 2231 sections joined in number order, charset from section 0 */
	h = mh_join_2231(sec, 3);
	assert_string_equal(h, "notes_CE654321A.txt");
	free(h);
}

static void
test_embedded_files(void **state)
{
	const char *what = NULL;
	static const char uu[] = "notes\nbegin 644 a.txt\n)0T4V-30S,C%!\n`\nend\n";
	static const char bh[] = "(This file must be converted with BinHex 4.0)\n:abc\n";
	static const char prose[] = "begin 2027 review\nend of notes\n";

	(void)state;
	assert_true(mt_embedded_file(uu, sizeof(uu) - 1, &what));
	assert_string_equal(what, "uuencoded file in the text");
	assert_true(mt_embedded_file(bh, sizeof(bh) - 1, &what));
	assert_string_equal(what, "BinHex file in the text");
	assert_false(mt_embedded_file(prose, sizeof(prose) - 1, &what));
}

/* The boundary libetpan would extract, however it is spelt. */
static void
test_prefilter_spellings(void **state)
{
	static const char *bad[] = {
		"Content-Type: multipart/mixed; boundary=\"\\\"\"\r\n\r\n",
		"Content-Type: multipart/mixed; boundary=(x)\"\\\"\"\r\n\r\n",
		"Content-Type: multipart/mixed;\r\n boundary=\r\n \"\\\"\"\r\n\r\n",
		"content-type (c) : multipart/mixed; BOUNDARY = \"\\\"\" (c)\r\n\r\n",
		"X: y\r\n\r\n--b\r\nContent-Type: multipart/mixed; charset=x; boundary=\"\\\"\"\r\n\r\n",
	};
	static const char *good[] = {
		"Content-Type: multipart/mixed; boundary=\"a\\\"b\"\r\n\r\n",
		"Content-Type: text/plain; x-boundary=\"\\\"\"\r\n\r\n",
		"Subject: boundary=\"\\\"\"\r\n\r\n",
	};
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(mime_prefilter(bad[i], strlen(bad[i]), &why), 1);
		assert_string_equal(why, "a boundary parameter this parser cannot read safely");
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(mime_prefilter(good[i], strlen(good[i]), &why), 0);
}

/* Addresses in their RFC 5321 form; an address libetpan cannot read exactly is not judged. */
static void
test_address_forms(void **state)
{
	struct mime_result r;

	(void)state;
	analyse("To: \"whp\"@Acme.example, <@relay.example,@r2.example:JCP@dwp.example>,\r\n"
	    " \"a..b\"@x.example\r\nSubject: x\r\n\r\nbody\r\n", &r);
	assert_int_equal(r.status, MIME_OK);
	assert_int_equal(r.nrcpts, 3);
	assert_string_equal(r.rcpts[0], "whp@acme.example");
	assert_string_equal(r.rcpts[1], "jcp@dwp.example");
	assert_string_equal(r.rcpts[2], "\"a..b\"@x.example");
	mime_result_free(&r);
	analyse("To: \"whp team\"@acme.example\r\nSubject: x\r\n\r\nbody\r\n", &r);
	assert_int_equal(r.status, MIME_MALFORMED);
	assert_string_equal(r.detail, "an address of the To header cannot be read exactly");
	mime_result_free(&r);
	analyse("To: a@b.example junk <\r\nSubject: x\r\n\r\nbody\r\n", &r);
	assert_int_equal(r.status, MIME_MALFORMED);
	assert_string_equal(r.detail, "an address of the To header cannot be read exactly");
	mime_result_free(&r);
}

/* Every header of every part is searched; a MIME field twice in a part is malformed. */
static void
test_part_headers(void **state)
{
	struct mime_result r;

	(void)state;
	analyse("To: a@b.example\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "pre CE654321A\r\n--b\r\nContent-Type: text/plain\r\nX-Note: AB123456C\r\n\r\nhello\r\n"
	    "--b--\r\nepilogue HN010203B\r\n", &r);
	assert_int_equal(r.status, MIME_OK);
	assert_int_equal(r.records.n, 3);
	mime_result_free(&r);
	analyse("To: a@b.example\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n\r\nhello\r\n--b--\r\n", &r);
	assert_int_equal(r.status, MIME_MALFORMED);
	assert_string_equal(r.detail, "the Content-Type header of a body part appears more than once");
	mime_result_free(&r);
	analyse("To: a@b.example\r\nSubject: x\r\nContent-Transfer-Encoding: x-uue\r\n\r\nhello\r\n", &r);
	assert_int_equal(r.status, MIME_MALFORMED);
	assert_string_equal(r.detail, "the transfer encoding \"x-uue\" of the message cannot be decoded");
	mime_result_free(&r);
}

static void
test_size(void **state)
{
	struct mime_result r;
	static const char m[] = "To: a@b.example\nSubject: x\n\n0123456789\n";

	(void)state;
	mime_limits_default(&L, 0);
	mime_result_init(&r);
	/* 39 bytes, four bare LFs: 43 with CRLF endings */
	L.max_message_bytes = 43;
	L.max_decoded = 4 * 43;
	mime_analyse(m, strlen(m), &L, &r);
	assert_int_equal(r.status, MIME_OK);
	assert_int_equal(r.size, 43);
	mime_result_free(&r);
	L.max_message_bytes = 42;
	mime_analyse(m, strlen(m), &L, &r);
	assert_int_equal(r.status, MIME_TOO_LARGE);
	assert_string_equal(r.detail, "the message is 43 bytes; the limit is 42");
	assert_int_equal(r.nrcpts, 0);
	mime_result_free(&r);
}

static void
test_headers(void **state)
{
	struct mime_result r;

	(void)state;
	analyse("From: \"Sam AB123456C\" <Sam@Provider.example>\r\n"
	    "To: Team: X@Dwp.example, y@dwp.example;, z@acme.example\r\nCc: x@dwp.example\r\n"
	    "Bcc: w@acme.example\r\nSubject: =?utf-8?Q?Re=3A_WHP07?= CE123456A\r\n"
	    "Message-ID: <HN010203B@p.example>\r\nReferences: <HN040506C@p.example>\r\n"
	    "Received: from HN070809D\r\nX-Ref: HN 11 22 33 A\r\n\r\nbody\r\n", &r);
	assert_int_equal(r.status, MIME_OK);
	assert_string_equal(r.from, "sam@provider.example");
	assert_int_equal(r.nrcpts, 4);
	assert_string_equal(r.rcpts[0], "x@dwp.example");
	assert_string_equal(r.rcpts[3], "w@acme.example");
	assert_string_equal(r.subject, "Re: WHP07 CE123456A");
	assert_int_equal(r.subject_records, 1);
	assert_string_equal(r.message_id, "HN010203B@p.example");
	/* display name, subject, X-Ref; not Message-ID, References, Received */
	assert_int_equal(r.records.n, 3);
	assert_true(nino_set_has(&r.records, "AB123456"));
	assert_true(nino_set_has(&r.records, "HN112233"));
	assert_false(nino_set_has(&r.records, "HN010203"));
	mime_result_free(&r);
}

static void
test_malformed(void **state)
{
	static const struct { const char *msg, *detail; } cases[] = {
		{ "To: a@b.example\r\nTo: c@d.example\r\n\r\nx", "the To header appears more than once" },
		{ "Subject: a\r\nsubject: b\r\n\r\nx", "the Subject header appears more than once" },
		{ "To: a@b.example\r\nnot a header\r\n\r\nx", "header line 2 cannot be read" },
		{ "To: <<<@@@>>>\r\n\r\nx", "the To header cannot be read" },
		{ "Content-Type: multipart/mixed\r\n\r\nx", "a multipart/mixed part has no boundary" },
		{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n",
		  "a multipart/mixed part is not closed" },
		{ "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n",
		  "a base64 part (text/plain) holds characters that are not base64" },
		{ "Content-Type: multipart/mixed; boundary=\"\\\"\"\r\n\r\n--\"\r\n",
		  "a boundary parameter this parser cannot read safely" },
	};
	struct mime_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		analyse(cases[i].msg, &r);
		assert_int_equal(r.status, MIME_MALFORMED);
		assert_string_equal(r.detail, cases[i].detail);
		assert_int_equal(r.nrcpts, 0);
		assert_int_equal(r.records.n, 0);
		mime_result_free(&r);
	}
}

static void
test_limits(void **state)
{
	struct mime_result r;
	struct sbuf b;
	int i;

	(void)state;
	sbuf_init(&b);
	sbuf_adds(&b, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (i = 0; i < 257; i++)
		sbuf_adds(&b, "--p\r\nContent-Type: text/plain\r\n\r\nx\r\n");
	sbuf_adds(&b, "--p--\r\n");
	analyse(b.data, &r);
	assert_int_equal(r.status, MIME_MALFORMED);
	assert_string_equal(r.detail, "the message has more than 256 parts");
	mime_result_free(&r);
	sbuf_free(&b);
	sbuf_init(&b);
	sbuf_adds(&b, "Content-Type: text/plain\r\n\r\n");
	for (i = 0; i < 5000; i++)
		sbuf_adds(&b, "0123456789");
	mime_limits_default(&L, 1 << 20);
	L.max_decoded = 40000;
	mime_result_init(&r);
	mime_analyse(b.data, b.len, &L, &r);
	assert_int_equal(r.status, MIME_MALFORMED);
	mime_result_free(&r);
	sbuf_free(&b);
}

static void
test_parts(void **state)
{
	struct mime_result r;

	(void)state;
	analyse("Content-Type: multipart/mixed; boundary=m\r\n\r\n"
	    "--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
	    "--a\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "Caf=E9: AB12=\r\n3456C\r\n"
	    "--a\r\nContent-Type: text/html\r\n\r\n<p>x<img src=\"cid:i1\" title=\"CE 12 34 56 A\"></p>\r\n--a--\r\n"
	    "--m\r\nContent-Type: image/png\r\nContent-ID: <i1>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
	    "--m\r\nContent-Type: image/gif; name=\"HN010203B.gif\"\r\nContent-Transfer-Encoding: base64\r\n\r\nR0lGODlh\r\n"
	    "--m\r\nContent-Type: application/octet-stream; name=\"a.doc\"\r\nContent-Transfer-Encoding: base64\r\n\r\n0M8R4A==\r\n"
	    "--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''notes%20HN040506C.txt\r\n\r\n"
	    "plain text\r\n"
	    "--m\r\nContent-Type: text/csv; name=l.csv\r\n\r\nName,NI number\r\nA,HN 070809\r\n"
	    "--m--\r\n", &r);
	assert_int_equal(r.status, MIME_OK);
	assert_string_equal(r.body.text, "Caf\xC3\xA9: AB123456C");
	assert_int_equal(r.nuninspectable, 2);
	assert_string_equal(r.uninspectable[0], "HN010203B.gif (image/gif)");
	assert_string_equal(r.uninspectable[1], "a.doc (old Office or Outlook file)");
	assert_int_equal(r.ndocs, 1);
	assert_string_equal(r.docs[0].name, "notes HN040506C.txt");
	assert_int_equal(r.ncsvs, 1);
	/* body, title attribute, two file names, the CSV column */
	assert_int_equal(r.records.n, 5);
	assert_true(nino_set_has(&r.records, "HN070809"));
	mime_result_free(&r);
}

static void
test_text_conversion(void **state)
{
	struct sbuf b, t, e, c;

	(void)state;
	sbuf_init(&b);
	mt_to_utf8("\xFF\xFE" "A\0\xE9\0", 6, NULL, &b);
	assert_string_equal(b.data, "A\xC3\xA9");
	sbuf_reset(&b);
	mt_to_utf8("\x80 \xE9", 3, "iso-8859-1", &b);
	assert_string_equal(b.data, "\xE2\x82\xAC \xC3\xA9");
	sbuf_reset(&b);
	mt_unflow("a \r\nb\r\n-- \r\nc", 13, 0, &b);
	assert_string_equal(b.data, "a b\n-- \nc\n");
	sbuf_reset(&b);
	{
		static const char rtf[] = "{\\rtf1{\\fonttbl{\\f0 Arial;}}A\\'e9\\u8364?\\par B}";

		mt_rtf(rtf, sizeof(rtf) - 1, &b);
	}
	assert_string_equal(b.data, "A\xC3\xA9\xE2\x82\xAC\nB");
	sbuf_free(&b);
	sbuf_init(&t);
	sbuf_init(&e);
	sbuf_init(&c);
	{
		static const char html[] = "<style>p{}</style><table><tr><td><p>Name</p></td>"
		    "<td>Jo &amp; Al&#x21;</td></tr></table><script>x()</script><!-- note --><p>Bye</p>";

		mt_html(html, sizeof(html) - 1, &t, &e, &c);
	}
	assert_string_equal(t.data, "Name: Jo & Al!\nBye\n");
	/* style and script are not shown but are sent: searched with the comment */
	assert_string_equal(e.data, "p{}\nx()\n note \n");
	sbuf_free(&t);
	sbuf_free(&e);
	sbuf_free(&c);
	{
		char s[] = "A\xC2\xAD" "B\xE2\x80\x8B" "C\xEF\xBB\xBF";

		assert_int_equal(mt_strip_invisible(s, strlen(s)), 3);
		assert_string_equal(s, "ABC");
	}
}

/*
 * mt_fold normalizes by pieces (ASCII between them copied): the same bytes
 * as NFKC of the whole text, for text mixing ASCII with what composes
 * with it (combining marks after a letter or '<', Hangul jamo), what NFKC
 * rewrites (no-break space, ligatures, full-width and circled digits) and
 * what it keeps. A fixed seed, so a failure repeats.
 */
static void
fold_as_nfkc(const char *const *alpha, size_t nalpha, unsigned long seed, int rounds)
{
	int round, i;

	for (round = 0; round < rounds; round++) {
		struct sbuf b;
		uint8_t *want;
		size_t wlen = 0;
		int n;

		sbuf_init(&b);
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		n = 1 + (int)((seed >> 33) % 24);
		for (i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			sbuf_adds(&b, alpha[(seed >> 33) % nalpha]);
		}
		want = u8_normalize(UNINORM_NFKC, (const uint8_t *)b.data, b.len, NULL, &wlen);
		assert_non_null(want);
		mt_fold(&b);
		assert_int_equal(b.len, wlen);
		assert_memory_equal(b.data, want, wlen);
		assert_int_equal(b.data[b.len], '\0');
		free(want);
		sbuf_free(&b);
	}
}

static void
test_fold_by_pieces(void **state)
{
	static const char *const alpha[] = { "a", "e", "E", "<", "=", " ", "1", "\n", "x",
		"\xCC\x81", "\xCC\x88", "\xCC\xB8", "\xCC\xA3", "\xC2\xA0", "\xC2\xA0",
		"\xC3\xA9", "\xEF\xAC\x81", "\xEF\xBC\x91", "\xE2\x91\xA0", "\xE1\x84\x80",
		"\xE1\x85\xA1", "\xE1\x86\xA8", "\xEA\xB0\x80", "\xE0\xA4\xBC",
		"\xE0\xA4\x95", "\xD8\xA7", "\xE2\x80\xAF", "\xEF\xBF\xBD", "\xE3\x82\x99",
		"\xE3\x81\x8B", "\xCE\x91", "\xCD\x85" };
	/* mostly ASCII and no-break spaces, as HTML mail is: folded in place when only those */
	static const char *const nbsp[] = { "a", " ", "1", "\n", "<", "\xC2\xA0", "\xC2\xA0",
		"\xC2\xA0", "\xCC\x81", "\xC3\xA9" };

	(void)state;
	fold_as_nfkc(alpha, sizeof(alpha) / sizeof(alpha[0]), 12345, 3000);
	fold_as_nfkc(nbsp, sizeof(nbsp) / sizeof(nbsp[0]), 54321, 3000);
}

/*
 * mt_base64_decode gives what libetpan's decoder gives, byte for byte, on
 * base64 with line breaks, spaces, padding in odd places and short last
 * groups (a single letter in all is left out: libetpan reads an
 * uninitialised byte for it). A fixed seed, so a failure repeats.
 */
static void
test_base64_as_libetpan(void **state)
{
	static const char alpha[] = "ABCXYZabcxyz0189+/==\r\n \t";
	unsigned long seed = 777;
	int round;

	(void)state;
	for (round = 0; round < 5000; round++) {
		char in[300], *mine, *theirs = NULL;
		size_t n, i, letters = 0, mlen, tlen = 0, idx = 0;

		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		n = (size_t)((seed >> 33) % sizeof(in));
		for (i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			in[i] = alpha[(seed >> 33) % (sizeof(alpha) - 1)];
			letters += in[i] != '=' && in[i] != '\r' && in[i] != '\n' && in[i] != ' ' &&
			    in[i] != '\t';
		}
		if (letters == 1)
			continue;
		mine = mt_base64_decode(in, n, &mlen);
		assert_int_equal(mailmime_part_parse(in, n, &idx, MAILMIME_MECHANISM_BASE64, &theirs,
		    &tlen), MAILIMF_NO_ERROR);
		assert_int_equal(mlen, tlen);
		assert_memory_equal(mine, theirs, mlen);
		assert_int_equal(mine[mlen], '\0');
		mmap_string_unref(theirs);
		free(mine);
	}
}

/*
 * mt_qp_decode() gives what libetpan's quoted-printable decoder gives, on
 * inputs made of the bytes that matter to it (line breaks bare and whole,
 * '=' before anything, hex digits in both cases, '_', which only headers
 * read as a space), and the same when a part ends in "=X": libetpan then
 * reads the byte after the part, so the input stands in a buffer with one
 * more byte, handed to ours as next. A fixed seed, so a failure repeats.
 */
static void
test_qp_as_libetpan(void **state)
{
	static const char alpha[] = "==\r\n\r\n \t_09afAFgZ\x80\xff";
	unsigned long seed = 4242;
	int round;

	(void)state;
	for (round = 0; round < 20000; round++) {
		char in[200], *mine, *theirs = NULL;
		size_t n, i, mlen, tlen = 0, idx = 0;

		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		n = (size_t)((seed >> 33) % (sizeof(in) - 1));
		for (i = 0; i <= n; i++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			in[i] = alpha[(seed >> 33) % (sizeof(alpha) - 1)];
		}
		mine = mt_qp_decode(in, n, (unsigned char)in[n], &mlen);
		assert_int_equal(mailmime_part_parse(in, n, &idx,
		    MAILMIME_MECHANISM_QUOTED_PRINTABLE, &theirs, &tlen), MAILIMF_NO_ERROR);
		assert_int_equal(mlen, tlen);
		assert_memory_equal(mine, theirs, mlen);
		assert_int_equal(mine[mlen], '\0');
		mmap_string_unref(theirs);
		free(mine);
	}
}

static void
test_encoding_round_trip(void **state)
{
	struct mime_result r, back;
	struct sbuf enc;
	size_t i;

	(void)state;
	analyse("From: a@b.example\r\nTo: c@d.example\r\nSubject: s\r\n"
	    "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\n"
	    "AB123456C\r\n--m\r\nContent-Type: application/pdf; name=x.pdf\r\n\r\n%PDF-1\r\n--m--\r\n", &r);
	sbuf_init(&enc);
	mime_result_encode(&r, &enc);
	assert_int_equal(mime_result_decode(enc.data, enc.len, &back), 0);
	assert_string_equal(back.subject, "s");
	assert_string_equal(back.rcpts[0], "c@d.example");
	assert_int_equal(back.body.len, r.body.len);
	assert_int_equal(back.records.n, 1);
	assert_string_equal(back.uninspectable[0], "x.pdf (application/pdf)");
	mime_result_free(&back);
	/* every truncation and a flipped byte in the counts are refused */
	for (i = 0; i < enc.len; i++) {
		assert_int_equal(mime_result_decode(enc.data, i, &back), -1);
		mime_result_free(&back);
	}
	enc.data[8 * 2 + 8 + 8] ^= 0x7f;
	assert_int_equal(mime_result_decode(enc.data, enc.len, &back), -1);
	mime_result_free(&back);
	sbuf_free(&enc);
	mime_result_free(&r);
}

/* A source for mime_result_decode_from: a buffer that gives out at most avail bytes. */
struct src {
	const char *p;
	size_t at, avail;
	unsigned calls;
};

static int
src_get(void *ctx, void *dst, size_t n)
{
	struct src *s = ctx;

	s->calls++;
	if (n > s->avail - s->at)
		return -1;
	memcpy(dst, s->p + s->at, n);
	s->at += n;
	return 0;
}

/*
 * The decoder reading piece by piece (from the worker's socket) gives what
 * the buffer decoder gives, a 3 MiB text included (grown as it arrives);
 * a source cut short anywhere, a length announced too long or too short,
 * fail closed.
 */
static void
test_decode_from(void **state)
{
	struct mime_result r, back;
	struct sbuf enc;
	struct src s;
	size_t i, big = 3u << 20;

	(void)state;
	mime_result_init(&r);
	r.subject = xstrdup("s");
	r.size = 42;
	r.body.text = xmalloc(big + 1);
	memset(r.body.text, 'b', big);
	r.body.text[big] = '\0';
	r.body.len = big;
	r.docs = xcalloc(1, sizeof(*r.docs));
	r.docs[0].name = xstrdup("n.txt");
	r.docs[0].text = xmalloc(16);
	memcpy(r.docs[0].text, "with a \0 inside", 16);
	r.docs[0].len = 15;
	r.ndocs = 1;
	sbuf_init(&enc);
	mime_result_encode(&r, &enc);
	s = (struct src){ enc.data, 0, enc.len, 0 };
	assert_int_equal(mime_result_decode_from(src_get, &s, enc.len, &back), 0);
	assert_true(mime_result_equal(&r, &back));
	assert_int_equal(back.docs[0].len, 15);
	assert_memory_equal(back.docs[0].text, "with a \0 inside", 16);
	assert_int_equal(s.at, enc.len);
	mime_result_free(&back);
	/* cut short at every point of the small fields and inside the text */
	for (i = 0; i < enc.len; i += i < 256 ? 1 : 65521) {
		s = (struct src){ enc.data, 0, i, 0 };
		assert_int_equal(mime_result_decode_from(src_get, &s, enc.len, &back), -1);
		assert_null(back.subject);
		assert_null(back.body.text);
		mime_result_free(&back);
	}
	/* the announced length must be the encoding's, exactly */
	s = (struct src){ enc.data, 0, enc.len, 0 };
	assert_int_equal(mime_result_decode_from(src_get, &s, enc.len - 1, &back), -1);
	mime_result_free(&back);
	s = (struct src){ enc.data, 0, enc.len, 0 };
	assert_int_equal(mime_result_decode_from(src_get, &s, enc.len + 8, &back), -1);
	mime_result_free(&back);
	sbuf_free(&enc);
	mime_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_cleaning_path),
		cmocka_unit_test(test_fold_by_pieces),
		cmocka_unit_test(test_base64_as_libetpan),
		cmocka_unit_test(test_qp_as_libetpan),
		cmocka_unit_test(test_decode_from),
		cmocka_unit_test(test_embedded_files),
		cmocka_unit_test(test_prefilter_spellings),
		cmocka_unit_test(test_address_forms),
		cmocka_unit_test(test_part_headers),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_text_conversion),
		cmocka_unit_test(test_encoding_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
