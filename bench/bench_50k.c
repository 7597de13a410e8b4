/*
 * bench_50k - the 50 KB message of bench_verdict, shared with mime_dump so
 * that the message timed is the message compared. See bench_50k.h.
 */
#include "bench_50k.h"

#include "util.h"

/* A 50 KB Outlook-style message: HTML alternative with a completed form. */
char *
bench_make_50k(size_t *len)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	sbuf_adds(&b, "From: Case Worker <caseworker@provider.example>\r\n"
	    "To: whp.enquiries@dwp.example\r\n"
	    "Subject: WHP07 Change of Circumstances\r\n"
	    "Message-ID: <bench-50k@provider.example>\r\n"
	    "Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
	    "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "Participant surname: Smith\r\nNational Insurance number: AB 12 34 56 C\r\n"
	    "Change: The participant has disengaged from the programme.\r\n"
	    "Date of change: 2026-11-20\r\n\r\n");
	for (i = 0; b.len < 20000; i++)
		sbuf_printf(&b, "Regards, the WHP team at the provider; reference line %zu of the "
		    "footer that mail clients add=\r\n to every message.\r\n", i);
	sbuf_adds(&b, "\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "<html><head><style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:\"Calibri\""
	    ",sans-serif}</style></head><body lang=3D\"EN-GB\"><div class=3D\"WordSection1\">\r\n"
	    "<table><tr><td><p class=3D\"MsoNormal\">Participant surname</p></td><td>Smith</td></tr>"
	    "\r\n<tr><td>National Insurance number</td><td>AB&nbsp;12&nbsp;34&nbsp;56&nbsp;C</td>"
	    "</tr>\r\n<tr><td>Change</td><td>The participant has disengaged.</td></tr>\r\n"
	    "<tr><td>Date of change</td><td>2026-11-20</td></tr></table>\r\n");
	for (i = 0; b.len < 50 * 1024 - 200; i++)
		sbuf_printf(&b, "<p class=3D\"MsoNormal\"><span style=3D\"color:#1F497D\">Regards, "
		    "footer line %zu&nbsp;&amp; more</span></p>\r\n", i);
	sbuf_adds(&b, "</div></body></html>\r\n--b1--\r\n");
	return sbuf_steal(&b, len);
}
