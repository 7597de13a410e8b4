#!/usr/bin/python3
"""Writes the sample messages of tests/messages/ and their expected verdicts.

Each message is a realistic .eml (CRLF line endings) built against the sample
policy (policies/policy.xml); its .expect holds what the rules in the seed
require as of 2026-11-23: the verdict line, then one "code: detail" line per
reason or warning (the codes by each message, the details from DETAILS at
the end). Run from the top of the tree: scripts/make-test-messages.py
"""
import base64
import io
import os
import quopri
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "messages")

COC = ("Participant surname: Smith\n"
       "National Insurance number: AB 12 34 56 C\n"
       "Change: The participant has disengaged from the programme on 2026-11-18.\n"
       "Date of change: 2026-11-20\n")


def crlf(s):
    return s.replace("\r\n", "\n").replace("\n", "\r\n")


def hdr(subject, to="whp@acme.example", extra="", mid=None, frm="Sam Case <sam.case@provider.example>"):
    import hashlib
    mid = mid or "<%s@provider.example>" % hashlib.sha256((subject + str(to) + extra).encode()).hexdigest()[:16]
    h = "From: %s\n" % frm
    if to is not None:
        h += "To: %s\n" % to
    h += extra
    h += ("Subject: %s\nDate: Mon, 23 Nov 2026 09:14:03 +0000\nMessage-ID: %s\n"
          "MIME-Version: 1.0\n" % (subject, mid))
    return h


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.encodebytes(data).decode()


def qp(text):
    return quopri.encodestring(text.encode("utf-8")).decode()


def docx(rows):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        zput(z, "[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        zput(z, "_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>')
        cells = "".join(
            '<w:tr><w:tc><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc></w:tr>' % r
            for r in rows)
        zput(z, "word/document.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                   '<w:body><w:p><w:r><w:t>WHP07 Change of Circumstances</w:t></w:r></w:p><w:tbl>%s</w:tbl></w:body></w:document>' % cells)
        zput(z, "docProps/core.xml", '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Sam Case</dc:creator></cp:coreProperties>')
    return buf.getvalue()


def zput(z, name, data):
    """A zip entry with a fixed date, so that the messages are the same at every run."""
    info = zipfile.ZipInfo(name, date_time=(2026, 11, 23, 9, 0, 0))
    info.compress_type = z.compression
    z.writestr(info, data)


MESSAGES = {}


def msg(name, text, expect):
    MESSAGES[name] = (crlf(text), expect)


# Thunderbird-style plain text, the form in the body.
msg("coc-thunderbird-plain", hdr("WHP07 Change of Circumstances") +
    "Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 7bit\n"
    "User-Agent: Mozilla Thunderbird\n\nHello Acme team,\n\n" + COC + "\nThanks,\nSam\n",
    ["accept change-of-circumstances"])

# Outlook-style multipart/alternative: both parts hold the form, the HTML as a table.
HTML_TABLE = ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8">'
              '<style><!-- p.MsoNormal {margin:0cm; font-family:"Calibri",sans-serif;} --></style></head>'
              '<body lang="EN-GB"><div class="WordSection1"><p class="MsoNormal">Hello,</p>'
              '<table class="MsoTableGrid"><tr><td><p class="MsoNormal"><b>Participant surname</b></p></td>'
              '<td><p class="MsoNormal">Smith</p></td></tr>'
              '<tr><td>National Insurance number</td><td>AB&nbsp;12&nbsp;34&nbsp;56&nbsp;C</td></tr>'
              '<tr><td>Change</td><td>The participant has disengaged &amp; will not return.</td></tr>'
              '<tr><td>Date of change</td><td>20/11/2026</td></tr></table>'
              '<p class="MsoNormal">Kind regards</p></div></body></html>')
msg("coc-outlook-alternative", hdr("WHP07 Change of Circumstances", to="JCP.WHP@dwp.example",
    extra="Thread-Index: AdlXYZ12345==\nX-MS-Has-Attach: \n") +
    'Content-Type: multipart/alternative; boundary="_000_DB9PR01MB_"\n\n'
    "--_000_DB9PR01MB_\nContent-Type: text/plain; charset=\"us-ascii\"\nContent-Transfer-Encoding: quoted-printable\n\n"
    + qp("Hello,\n\n" + COC) + "\n--_000_DB9PR01MB_\nContent-Type: text/html; charset=\"utf-8\"\n"
    "Content-Transfer-Encoding: quoted-printable\n\n" + qp(HTML_TABLE) + "\n--_000_DB9PR01MB_--\n",
    ["accept change-of-circumstances"])

# HTML only: the fields are read from the rendered table.
msg("coc-html-only", hdr("RE: WHP07 Change of Circumstances") +
    'Content-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n' + b64(HTML_TABLE),
    ["accept change-of-circumstances"])

# A quoted-printable soft line break in the middle of the number.
msg("qp-soft-break-in-number", hdr("WHP07 Change of Circumstances") +
    "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
    "Participant surname: O'Br=E9\nNational Insurance number: AB12=\n3456C\n"
    "Change: disengaged\nDate of change: 2026-11-20\n"
    "Also note CE12=\n3456A joined the programme.\n",
    ["reject change-of-circumstances", "too-many-records"])

# The same person written two ways is one record.
msg("same-person-two-layouts", hdr("WHP07 Change of Circumstances") +
    "Content-Type: text/plain; charset=utf-8\n\n" + COC + "Reference: ab-12-34-56-d (as on the referral)\n",
    ["accept change-of-circumstances"])

msg("two-participants", hdr("WHP07 Change of Circumstances") +
    "Content-Type: text/plain; charset=utf-8\n\n" + COC + "Also for her brother, NI number CE 123456.\n",
    ["reject change-of-circumstances", "too-many-records"])

msg("nino-in-subject", hdr("WHP07 Change of Circumstances AB123456C") +
    "Content-Type: text/plain; charset=utf-8\n\n" + COC,
    ["reject change-of-circumstances", "personal-data-in-subject"])

msg("encoded-word-subject", hdr("=?utf-8?B?UmU6IFdIUDA3IENoYW5nZSBvZg==?= =?utf-8?Q?_Circumstances_=E2=80=93_update?=") +
    "Content-Type: text/plain; charset=utf-8\n\n" + COC,
    ["accept change-of-circumstances"])

msg("unknown-process", hdr("Catch-up about Mr Smith") +
    "Content-Type: text/plain; charset=utf-8\n\n" + COC,
    ["reject -", "unknown-process"])

msg("esf-withdrawn", hdr("ESF1420 Initial", to="esf.returns@dwp.example") +
    "Content-Type: text/plain; charset=utf-8\n\nParticipant surname: Smith\n"
    "National Insurance number: AB123456C\nStart date: 2022-10-01\n",
    ["reject -", "unknown-process"])

msg("no-recipient", hdr("WHP07 Change of Circumstances", to=None) +
    "Content-Type: text/plain; charset=utf-8\n\n" + COC,
    ["reject change-of-circumstances", "no-recipient"])

msg("offshore-subcontractor", hdr("WHP07 Change of Circumstances", to="whp@faraway.example") +
    "Content-Type: text/plain; charset=utf-8\n\n" + COC,
    ["reject change-of-circumstances", "offshore-recipient"])

msg("permit-not-started", hdr("WHP07 Change of Circumstances", to="Brightpath <referrals@brightpath.example>") +
    "Content-Type: text/plain; charset=utf-8\n\n" + COC,
    ["reject change-of-circumstances", "recipient-not-approved"])

msg("internal-and-department", hdr("WHP07 Change of Circumstances", to="jcp.whp@dwp.example",
    extra="Cc: caseworkers@provider.example\nBcc: someone@gmail.example\n") +
    "Content-Type: text/plain; charset=utf-8\n\n" + COC,
    ["reject change-of-circumstances", "recipient-not-approved", "recipient-not-approved"])

msg("group-recipients", hdr("WHPER1 Exit Report", to="Exit team: jcp.whp@dwp.example, whp@acme.example;") +
    "Content-Type: text/plain; charset=utf-8\n\n"
    "Participant surname: Smith\nNational Insurance number: AB 12 34 56 C\n"
    "Summary: Built confidence, attended every session and completed a forklift licence course.\n"
    "Employability: Ready for warehouse or logistics work within the next three months, full time.\n"
    "Next steps: Jobcentre Plus should refer the participant to local warehouse vacancies, support an\n"
    "application to the retailer's seasonal scheme, and review travel costs at the next appointment with the work coach.\n",
    ["accept exit-report"])

msg("exit-report-short-next-steps", hdr("WHPER1 Exit Report", to="jcp.whp@dwp.example") +
    "Content-Type: text/plain; charset=utf-8\n\n"
    "Participant surname: Smith\nNational Insurance number: AB 12 34 56 C\n"
    "Summary: Built confidence, attended every session and completed a forklift licence course.\n"
    "Employability: Ready for warehouse or logistics work within the next three months, full time.\n"
    "Next steps: Refer to vacancies.\n",
    ["reject exit-report", "template-incomplete"])

msg("template-incomplete", hdr("WHP07 Change of Circumstances") +
    "Content-Type: text/plain; charset=utf-8\n\nParticipant surname: Smith\n"
    "National Insurance number: AB 12 34 56 C\nDate of change: 31/11/2026\n",
    ["reject change-of-circumstances", "template-incomplete", "template-incomplete"])

msg("no-record", hdr("WHP07 Change of Circumstances") +
    "Content-Type: text/plain; charset=utf-8\n\nParticipant surname: Smith\n"
    "National Insurance number: to follow\nChange: disengaged\nDate of change: 2026-11-20\n",
    ["reject change-of-circumstances", "no-record", "template-incomplete"])

MIXED = 'Content-Type: multipart/mixed; boundary="----=_Part_42"\n\n'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
msg("pdf-attachment", hdr("WHP07 Change of Circumstances") + MIXED +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-8\n\n" + COC +
    "------=_Part_42\nContent-Type: application/pdf; name=\"letter.pdf\"\n"
    "Content-Disposition: attachment; filename=\"letter.pdf\"\nContent-Transfer-Encoding: base64\n\n" +
    b64(PDF) + "------=_Part_42--\n",
    ["reject change-of-circumstances", "uninspectable-attachment"])

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
msg("inline-logo-is-decoration", hdr("WHP07 Change of Circumstances") +
    'Content-Type: multipart/related; boundary="rel"\n\n'
    "--rel\nContent-Type: text/html; charset=utf-8\n\n"
    + HTML_TABLE.replace("Kind regards", 'Kind regards<img src="cid:logo001@provider.example" alt="Provider logo">') +
    "\n--rel\nContent-Type: image/png; name=\"image001.png\"\nContent-ID: <logo001@provider.example>\n"
    "Content-Disposition: inline; filename=\"image001.png\"\nContent-Transfer-Encoding: base64\n\n" + b64(PNG) + "--rel--\n",
    ["accept change-of-circumstances"])

msg("photo-attached", hdr("WHP07 Change of Circumstances") + MIXED +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-8\n\n" + COC +
    "------=_Part_42\nContent-Type: image/png; name=\"id-card.png\"\n"
    "Content-Disposition: attachment; filename=\"id-card.png\"\nContent-Transfer-Encoding: base64\n\n" +
    b64(PNG) + "------=_Part_42--\n",
    ["reject change-of-circumstances", "uninspectable-attachment"])

msg("forwarded-message", hdr("Fwd: WHP07 Change of Circumstances") + MIXED +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-8\n\n" + COC +
    "------=_Part_42\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
    "From: jcp.whp@dwp.example\nTo: whp@provider.example\nSubject: CEPD1 notification\n"
    "Date: Fri, 20 Nov 2026 10:00:00 +0000\nMessage-ID: <cepd1-77@dwp.example>\n\n"
    "Please update your records for the participant CE 12 34 56 A.\n"
    "------=_Part_42--\n",
    ["reject change-of-circumstances", "too-many-records"])

DOCX = docx([("Participant surname", "Smith"), ("National Insurance number", "AB 12 34 56 C"),
             ("Change", "Re-engaged with the programme"), ("Date of change", "2026-11-20")])
msg("docx-form", hdr("WHP07 Change of Circumstances") + MIXED +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-8\n\nPlease find the completed form attached.\n\nSam\n"
    "------=_Part_42\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\n"
    " name=\"WHP07.docx\"\nContent-Disposition: attachment;\n filename=\"WHP07.docx\"\nContent-Transfer-Encoding: base64\n\n" +
    b64(DOCX) + "------=_Part_42--\n",
    ["accept change-of-circumstances"])

CSV_OK = "Surname,Forename,National Insurance number\r\nSmith,Jo,AB123456C\r\n\"O'Neil, Jr\",Al,CE 12 34 56 A\r\nJones,Bo,HN 01 02 03 B\r\n"
msg("names-list-csv", hdr("WHP List of Names and NINOs", to="whp.enquiries@dwp.example") + MIXED +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-8\n\nThe list for November is attached.\n"
    "------=_Part_42\nContent-Type: application/vnd.ms-excel; name=\"november.csv\"\n"
    "Content-Disposition: attachment; filename=\"november.csv\"\nContent-Transfer-Encoding: base64\n\n" +
    b64(CSV_OK) + "------=_Part_42--\n",
    ["accept names-and-ninos"])

CSV_BAD = "Surname,Forename,National Insurance number\nSmith,Jo,AB123456C\nJones,Bo,QQ123456C\n"
msg("names-list-bad-row", hdr("WHP List of Names and NINOs", to="whp.enquiries@dwp.example") + MIXED +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-8\n\nThe list is attached.\n"
    "------=_Part_42\nContent-Type: text/csv; name=\"list.csv\"\nContent-Disposition: attachment; filename=\"list.csv\"\n\n" +
    CSV_BAD + "------=_Part_42--\n",
    ["reject names-and-ninos", "template-incomplete"])

EB = ("Customer name: Jo Bloggs\nNational Insurance number: AB 12 34 56 C\n"
      "Date employment commenced: 2026-11-16\nDate of first salary payment: %s\n")
msg("employment-business-on-time", hdr("WHP Employment Business Customer Form", to="prap.support@dwp.example") +
    "Content-Type: text/plain; charset=utf-8\n\n" + EB % "28/11/2026",
    ["accept employment-business"])
msg("employment-business-late", hdr("WHP Employment Business Customer Form", to="prap.support@dwp.example") +
    "Content-Type: text/plain; charset=utf-8\n\n" + EB % "2026-11-26",
    ["accept employment-business", "late-notice"])

UTF16 = ("\ufeffNotes from the review.\r\nPartner's NINO: CE123456A\r\n").encode("utf-16-le")
msg("utf16-attachment", hdr("WHP07 Change of Circumstances") + MIXED +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-8\n\n" + COC +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-16; name=\"notes.txt\"\n"
    "Content-Disposition: attachment; filename=\"notes.txt\"\nContent-Transfer-Encoding: base64\n\n" +
    b64(UTF16) + "------=_Part_42--\n",
    ["reject change-of-circumstances", "too-many-records"])

msg("html-alt-attribute", hdr("WHP07 Change of Circumstances") +
    "Content-Type: text/html; charset=utf-8\n\n" +
    HTML_TABLE.replace("Kind regards", 'Kind regards <img src="https://x.example/a.png" alt="scan of CE 12 34 56 A"><!-- old: HN 01 02 03 B -->'),
    ["reject change-of-circumstances", "too-many-records"])

msg("format-flowed-number", hdr("WHP07 Change of Circumstances") +
    "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n\n"
    "Participant surname: Smith\nNational Insurance number: AB 12 \n34 56 C\n"
    "Change: disengaged from the \nprogramme\nDate of change: 2026-11-20\n",
    ["accept change-of-circumstances"])

RTF = r"{\rtf1\ansi{\fonttbl{\f0 Calibri;}}{\colortbl;\red0\green0\blue0;}\f0 Case notes\par Brother: CE\'a012\'a034\'a056\'a0A\par}"
msg("rtf-attachment", hdr("WHP07 Change of Circumstances") + MIXED +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-8\n\n" + COC +
    "------=_Part_42\nContent-Type: application/rtf; name=\"notes.rtf\"\n"
    "Content-Disposition: attachment; filename=\"notes.rtf\"\n\n" + RTF + "\n------=_Part_42--\n",
    ["reject change-of-circumstances", "too-many-records"])

ZIP = io.BytesIO()
with zipfile.ZipFile(ZIP, "w") as z:
    zput(z, "notes.txt", "nothing to see")
msg("zip-attachment", hdr("WHP07 Change of Circumstances") + MIXED +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-8\n\n" + COC +
    "------=_Part_42\nContent-Type: application/zip; name=\"notes.zip\"\n"
    "Content-Disposition: attachment; filename=\"notes.zip\"\nContent-Transfer-Encoding: base64\n\n" +
    b64(ZIP.getvalue()) + "------=_Part_42--\n",
    ["reject change-of-circumstances", "uninspectable-attachment"])

# Hostile or broken structure: malformed-message, nothing else runs.
msg("boundary-crash", hdr("WHP07 Change of Circumstances") +
    'Content-Type: multipart/mixed; boundary="\\""\n\n--"\nContent-Type: text/plain\n\nx\n--"--\n',
    ["reject -", "malformed-message"])
msg("duplicate-to", hdr("WHP07 Change of Circumstances", extra="To: jcp.whp@dwp.example\n") +
    "Content-Type: text/plain; charset=utf-8\n\n" + COC,
    ["reject -", "malformed-message"])
msg("truncated-multipart", hdr("WHP07 Change of Circumstances") + MIXED +
    "------=_Part_42\nContent-Type: text/plain; charset=utf-8\n\n" + COC +
    "------=_Part_42\nContent-Type: application/octet-stream; name=\"x.bin\"\nContent-Transfer-Encoding: base64\n\nAAAA\n",
    ["reject -", "malformed-message"])
msg("header-line-without-colon", "From: sam.case@provider.example\nTo: whp@acme.example\n"
    "Subject: WHP07 Change of Circumstances\nthis line is not a header\nX-Note: x\n"
    "Content-Type: text/plain\n\n" + COC,
    ["reject -", "malformed-message"])
msg("bad-base64", hdr("WHP07 Change of Circumstances") +
    "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nUGFydGljaXBhbnQ*#!!\n",
    ["reject -", "malformed-message"])
parts = "".join("--p\nContent-Type: text/plain\n\npart %d\n" % i for i in range(300))
msg("too-many-parts", hdr("WHP07 Change of Circumstances") + 'Content-Type: multipart/mixed; boundary="p"\n\n' + parts + "--p--\n",
    ["reject -", "malformed-message"])
deep = "Content-Type: text/plain\n\n" + COC
for i in range(10):
    deep = 'Content-Type: multipart/mixed; boundary="d%d"\n\n--d%d\n%s\n--d%d--\n' % (i, i, deep, i)
msg("too-deep", hdr("WHP07 Change of Circumstances") + deep, ["reject -", "malformed-message"])


# --- issue 7: every byte that is sent is read -------------------------------
# The sender wants a second participant's number (CE 65 43 21 A) through
# beside a correct form for AB 12 34 56 C. Each place below is searched.
PLAIN = "Content-Type: text/plain; charset=utf-8\n\n" + COC
TWO = ["reject change-of-circumstances", "too-many-records"]


def mixed(*parts, boundary="----=_Part_42", pre="", post=""):
    body = 'Content-Type: multipart/mixed; boundary="%s"\n\n%s' % (boundary, pre)
    for p in parts:
        body += "--%s\n%s\n" % (boundary, p)
    return body + "--%s--\n%s" % (boundary, post)


FORM_PART = "Content-Type: text/plain; charset=utf-8\n\n" + COC
NOTES = "Content-Type: text/plain; charset=utf-8; name=\"notes.txt\"\nContent-Disposition: attachment; filename=\"notes.txt\"\n\nnothing more\n"
msg("part-header-description", hdr("WHP07 Change of Circumstances") +
    mixed("Content-Type: text/plain; charset=utf-8\nContent-Description: partner CE654321A\n\n" + COC), TWO)
msg("part-header-x-note", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, "Content-Type: text/plain; charset=utf-8\nX-Note: CE 65 43 21 A\n\nsee above\n"), TWO)
msg("part-header-content-id", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, "Content-Type: text/plain; charset=utf-8\nContent-ID: <CE654321A@provider.example>\n\nsee above\n"), TWO)

FWD = ("Content-Type: message/rfc822\nContent-Disposition: attachment\n\n"
       "From: jcp.whp@dwp.example\nTo: whp@provider.example\n%s"
       "Date: Fri, 20 Nov 2026 10:00:00 +0000\nMessage-ID: <cepd1-77@dwp.example>\n\nPlease update your records.\n")
msg("forwarded-subject", hdr("Fwd: WHP07 Change of Circumstances") +
    mixed(FORM_PART, FWD % "Subject: CEPD1 for CE654321A\n"), TWO)
msg("forwarded-x-header", hdr("Fwd: WHP07 Change of Circumstances") +
    mixed(FORM_PART, FWD % "Subject: CEPD1 notification\nX-Participant: ce-65-43-21-a\n"), TWO)
msg("forwarded-cc-display-name", hdr("Fwd: WHP07 Change of Circumstances") +
    mixed(FORM_PART, FWD % "Subject: CEPD1 notification\nCc: \"Partner CE654321A\" <partner@example.org>\n"), TWO)
msg("forwarded-two-deep-header", hdr("Fwd: WHP07 Change of Circumstances") +
    mixed(FORM_PART, "Content-Type: message/rfc822\n\nFrom: a@dwp.example\nTo: b@provider.example\nSubject: outer\n"
          "MIME-Version: 1.0\n" + mixed(FWD % "Subject: inner\nX-Ref: CE 654321 A\n", boundary="in")), TWO)
msg("forwarded-base64-header", hdr("Fwd: WHP07 Change of Circumstances") +
    mixed(FORM_PART, "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" +
          b64(crlf("From: a@dwp.example\nTo: b@provider.example\nSubject: CE654321A\n\nhello\n"))), TWO)
msg("rfc822-headers-part", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, "Content-Type: text/rfc822-headers\n\nFrom: a@dwp.example\nSubject: about CE654321A\n"), TWO)

ATT = "Content-Type: text/plain; charset=utf-8\nContent-Disposition: attachment;\n %s\n\nnothing more\n"
msg("rfc2231-filename-encoded", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, ATT % "filename*0*=utf-8''notes%5FCE654;\n filename*1*=321A.txt"), TWO)
msg("rfc2231-filename-quoted", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, ATT % 'filename*0="notes_CE654"; filename*1="321A.txt"'), TWO)
msg("rfc2231-name-sections", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, 'Content-Type: text/plain; charset=utf-8;\n name*0="notes_CE65"; name*1="4321A.txt"\n\nnothing more\n'), TWO)
msg("rfc2231-sections-out-of-order", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, ATT % 'filename*1="321A.txt"; filename*0="notes_CE654"'), TWO)
SECS = "CE654321A.txt"
many = ";\n ".join('filename*%d="%s"' % (i, SECS[i - 1500] if 1500 <= i < 1500 + len(SECS) else "_")
                   for i in range(3001))
msg("rfc2231-3001-sections", hdr("WHP07 Change of Circumstances") + mixed(FORM_PART, ATT % many), TWO)
msg("rfc2047-filename", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, ATT % 'filename="=?utf-8?Q?notes_CE654321A=2Etxt?="'), TWO)
msg("multipart-parameter-sections", hdr("WHP07 Change of Circumstances") +
    'Content-Type: multipart/mixed; boundary="b"; x-ref*0="CE654"; x-ref*1="321A"\n\n--b\n' + FORM_PART + "\n--b--\n", TWO)
msg("message-partial", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, 'Content-Type: message/partial; id="abc@x"; number=2; total=2\n\n321A joined\n'),
    ["reject change-of-circumstances", "uninspectable-attachment"])
msg("other-parameter", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, 'Content-Type: text/plain; charset=utf-8; x-ref="CE654321A"\n\nnothing more\n'), TWO)

# Invisible characters inside a number, in any header.
SUBJ2 = ["reject change-of-circumstances", "personal-data-in-subject", "too-many-records"]
msg("invisible-shy-subject", hdr("WHP07 Change of Circumstances CE\u00ad654321A") + PLAIN, SUBJ2)
msg("invisible-zwsp-encoded-subject", hdr("WHP07 Change of Circumstances =?utf-8?Q?CE65=E2=80=8B4321A?=") + PLAIN, SUBJ2)
msg("invisible-word-joiner-x-header", hdr("WHP07 Change of Circumstances", extra="X-Ref: CE65\u20604321A\n") + PLAIN, TWO)
msg("invisible-to-display-name", hdr("WHP07 Change of Circumstances",
    to="=?utf-8?Q?CE=E2=80=8D654321A?= <whp@acme.example>") + PLAIN, TWO)
msg("invisible-bom-in-body", hdr("WHP07 Change of Circumstances") + PLAIN + "Partner: CE\ufeff65\u200c4321A\n", TWO)
msg("encoded-word-utf16-subject", hdr("WHP07 Change of Circumstances =?utf-16le?B?%s?=" %
    base64.b64encode("CE654321A".encode("utf-16-le")).decode()) + PLAIN, SUBJ2)
msg("encoded-words-split-number", hdr("WHP07 Change of Circumstances =?utf-8?Q?CE654?=\n =?utf-8?B?%s?=" %
    base64.b64encode(b"321A").decode()) + PLAIN, SUBJ2)
msg("entity-in-subject", hdr("WHP07 Change of Circumstances CE&#54;54321A") + PLAIN, SUBJ2)
msg("fullwidth-subject", hdr("WHP07 Change of Circumstances \uff23\uff25\uff16\uff15\uff14\uff13\uff12\uff11\uff21") + PLAIN, SUBJ2)
msg("fullwidth-body", hdr("WHP07 Change of Circumstances") + PLAIN + "Partner: \uff23\uff25\uff16\uff15\uff14\uff13\uff12\uff11\uff21\n", TWO)
msg("fullwidth-subject-matches", hdr("\uff37\uff28\uff30\uff10\uff17 Change of Circumstances") + PLAIN,
    ["accept change-of-circumstances"])
msg("ideographic-space-and-dashes", hdr("WHP07 Change of Circumstances") + PLAIN +
    "Partner: CE\u300065\u201143\u221221\u2003A\n", TWO)
msg("cyrillic-look-alike-letters", hdr("WHP07 Change of Circumstances") + PLAIN + "Partner: \u0421\u0415 65 43 21 \u0410\n", TWO)
msg("greek-look-alike-subject", hdr("WHP07 Change of Circumstances \u039a\u0391654321\u0392") + PLAIN, SUBJ2)
msg("arabic-indic-digits-are-not-a-number", hdr("WHP07 Change of Circumstances") + PLAIN +
    "Reference: CE\u0666\u0665\u0664\u0663\u0662\u0661A\n", ["accept change-of-circumstances"])

# Transfer encodings and embedded files.
MAL = ["reject -", "malformed-message"]
msg("cte-x-uuencode", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, "Content-Type: text/plain; name=\"n.txt\"\nContent-Transfer-Encoding: x-uuencode\n\n"
          "begin 644 n.txt\n)0T4V-30S,C%!\n`\nend\n"), MAL)
msg("cte-x-foo", hdr("WHP07 Change of Circumstances") + "Content-Type: text/plain\nContent-Transfer-Encoding: x-foo\n\n" + COC, MAL)
msg("cte-on-multipart", hdr("WHP07 Change of Circumstances", extra="Content-Transfer-Encoding: x-gzip\n") + mixed(FORM_PART), MAL)
UNI = ["reject change-of-circumstances", "uninspectable-attachment"]
msg("uuencode-in-body", hdr("WHP07 Change of Circumstances") + PLAIN +
    "\nbegin 644 partner.txt\n)0T4V-30S,C%!\n`\nend\n", UNI)
msg("uuencode-without-end", hdr("WHP07 Change of Circumstances") + PLAIN +
    "\nbegin 600 partner.txt\nM0T4V-30S,C%!0T4V-30S,C%!0T4V-30S,C%!0T4V-30S,C%!0T4V-30S,C%!\n", UNI)
msg("binhex-in-body", hdr("WHP07 Change of Circumstances") + PLAIN +
    "\n(This file must be converted with BinHex 4.0)\n:$f*TEQKPH#jdCA0d,R0TG!\"6594%8dP8)3#3\"!&m!*!%\n", UNI)
msg("begin-in-prose-is-text", hdr("WHP07 Change of Circumstances") + PLAIN +
    "\nbegin 2027 review of the plan\nend of notes\n", ["accept change-of-circumstances"])

# Around the parts, and inside HTML.
msg("preamble", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, pre="This is a multi-part message. Partner CE654321A.\n"), TWO)
msg("epilogue", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, post="Partner: CE654321A\n"), TWO)
msg("epilogue-nested", hdr("WHP07 Change of Circumstances") +
    mixed(mixed(FORM_PART, boundary="inner", post="CE654321A\n")), TWO)
HTML_BASE = ("<html><head>%s</head><body><p>Participant surname: Smith</p>"
             "<p>National Insurance number: AB 12 34 56 C</p><p>Change: disengaged from the programme</p>"
             "<p>Date of change: 2026-11-20</p>%s</body></html>")
HT = "Content-Type: text/html; charset=utf-8\n\n"
msg("html-style", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("<style>/* CE654321A */ p{}</style>", ""), TWO)
msg("html-script", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("", "<script>var p='CE654321A';</script>"), TWO)
msg("html-cdata", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("", "<svg><![CDATA[CE654321A]]></svg>"), TWO)
msg("html-data-attribute", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("", '<span data-partner="CE654321A"></span>'), TWO)
msg("html-meta-content", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ('<meta name="x" content="CE 65 43 21 A">', ""), TWO)
msg("html-bogus-comment", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("", "<!CE654321A><?CE 654321 A?>"), TWO)
msg("html-end-tag-attribute", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("", "<p>x</p CE654321A>"), TWO)
msg("html-entity-number", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("", "<p>C&#69;&#x36;54321&shy;A</p>"), TWO)
msg("html-data-uri-base64", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("", '<a href="data:text/plain;base64,%s">notes</a>' % base64.b64encode(b"Partner CE654321A").decode()), TWO)
msg("html-data-uri-percent", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("", '<iframe src="data:text/html,%3Cb%3ECE%36%354321A%3C/b%3E"></iframe>'), TWO)
msg("html-data-uri-image-is-decoration", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("", '<img src="data:image/png;base64,%s">' % base64.b64encode(PNG).decode()),
    ["accept change-of-circumstances"])
msg("html-split-by-tags", hdr("WHP07 Change of Circumstances") + HT + HTML_BASE % ("", "<p>CE65<b></b>4321A</p>"), TWO)

# multipart/signed: the signature part is decoration only when it is one.
SIGNED = ('Content-Type: multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha256; boundary="sig"\n\n'
          "--sig\n" + FORM_PART + "\n--sig\nContent-Type: %s\n\n%s\n--sig--\n")
PGP_SIG = "-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE0x1x\n=abcd\n-----END PGP SIGNATURE-----"
msg("signed-pgp", hdr("WHP07 Change of Circumstances") + SIGNED % ("application/pgp-signature", PGP_SIG),
    ["accept change-of-circumstances"])
msg("signed-plain-text-signature", hdr("WHP07 Change of Circumstances") +
    SIGNED % ("application/pgp-signature", "Partner: CE654321A"), TWO)

# Charsets.
def att_b64(name, ctype, data):
    return ("Content-Type: %s; name=\"%s\"\nContent-Disposition: attachment; filename=\"%s\"\n"
            "Content-Transfer-Encoding: base64\n\n%s" % (ctype, name, name, b64(data)))


msg("utf16le-declared-no-bom", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, att_b64("notes.txt", "text/plain; charset=utf-16le", "Notes from the review.\r\nAll well.\r\n".encode("utf-16-le"))),
    ["accept change-of-circumstances"])
msg("utf16be-declared-no-bom", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, att_b64("notes.txt", "text/plain; charset=utf-16be", "Partner: CE654321A\r\n".encode("utf-16-be"))), TWO)
msg("utf16-undeclared-nul-pairs", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, att_b64("notes.txt", "text/plain; charset=us-ascii", "Partner: CE654321A\r\n".encode("utf-16-le"))), TWO)
msg("utf32-declared", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, att_b64("notes.txt", "text/plain; charset=utf-32le", "Partner: CE654321A\r\n".encode("utf-32-le"))), TWO)
msg("utf32-bom-undeclared", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, att_b64("notes.txt", "text/plain", "Partner: CE654321A\r\n".encode("utf-32"))), TWO)
msg("utf16-nul-characters", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, att_b64("notes.txt", "text/plain; charset=utf-16le", "Partner: C\0E\x00654\x00321A\r\n".encode("utf-16-le"))), TWO)
msg("xml-char-refs", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, att_b64("data.xml", "application/octet-stream",
          '<?xml version="1.0"?><people><p nino="&#67;&#x45;654321A"/></people>')), TWO)
msg("json-attachment", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, att_b64("data.json", "application/octet-stream", '{"partner": "CE\\u0036\\u00354321A", "p2": "CE654321A"}')), TWO)

# Office packages and lists.
def docx_no_overrides(rows):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        zput(z, "[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="xml" ContentType="application/xml"/></Types>')
        cells = "".join('<w:p><w:r><w:t>%s: %s</w:t></w:r></w:p>' % r for r in rows)
        zput(z, "word/document.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                   '<w:body>%s</w:body></w:document>' % cells)
    return buf.getvalue()


msg("docx-without-overrides", hdr("WHP07 Change of Circumstances") +
    mixed("Content-Type: text/plain; charset=utf-8\n\nThe form is attached.\n",
          att_b64("WHP07.docx", "application/octet-stream", docx_no_overrides(
              [("Participant surname", "Smith"), ("National Insurance number", "AB 12 34 56 C"),
               ("Change", "Re-engaged with the programme"), ("Date of change", "2026-11-20")]))),
    ["accept change-of-circumstances"])
msg("names-list-csv-blank-last-line", hdr("WHP List of Names and NINOs", to="whp.enquiries@dwp.example") +
    mixed("Content-Type: text/plain; charset=utf-8\n\nThe list is attached.\n",
          att_b64("list.csv", "text/csv", "Surname,Forename,National Insurance number\r\nSmith,Jo,AB123456C\r\n\r\n")),
    ["accept names-and-ninos"])

# Address forms (RFC 5321 comparison).
msg("quoted-local-part", hdr("WHP07 Change of Circumstances", to='"whp"@acme.example') + PLAIN,
    ["accept change-of-circumstances"])
msg("source-route", hdr("WHP07 Change of Circumstances", to="Acme <@relay.acme.example:whp@acme.example>") + PLAIN,
    ["accept change-of-circumstances"])
msg("quoted-local-part-needing-quotes", hdr("WHP07 Change of Circumstances", to='"whp..x"@acme.example') + PLAIN,
    ["reject change-of-circumstances", "recipient-not-approved"])
# libetpan reads a parenthesis in a quoted local part as a comment: not judged.
msg("quoted-local-part-with-parenthesis", hdr("WHP07 Change of Circumstances", to='"whp(x)"@acme.example') + PLAIN,
    MAL)
# libetpan would read "whp team" as "whpteam": not the address written, so not judged.
msg("quoted-local-part-with-space", hdr("WHP07 Change of Circumstances", to='"whp team"@acme.example') + PLAIN,
    MAL)
msg("too-many-recipients", hdr("WHP07 Change of Circumstances",
    to=", ".join("person%d@acme.example" % i for i in range(50)) + ", whp@acme.example") + PLAIN,
    ["reject change-of-circumstances", "too-many-recipients"])
msg("fifty-recipients-is-the-limit", hdr("WHP07 Change of Circumstances",
    to=", ".join("person%d@acme.example" % i for i in range(49)) + ", whp@acme.example") + PLAIN,
    ["reject change-of-circumstances"] + ["recipient-not-approved"] * 49)

# The libetpan boundary heap overflow: every spelling stops before the parser.
CRASH_BODY = '\n\n--"\nContent-Type: text/plain\n\nx\n--"--\n'
for name, ct in [("comment", 'Content-Type: multipart/mixed; boundary=(x)"\\""'),
                 ("folded", 'Content-Type: multipart/mixed;\n boundary=\n "\\""'),
                 ("space-before-colon", 'Content-Type : multipart/mixed; boundary="\\""'),
                 ("comment-before-colon", 'Content-Type(c): multipart/mixed; boundary="\\""'),
                 ("upper-case", 'CONTENT-TYPE: multipart/mixed; BOUNDARY="\\""'),
                 ("spaces-around-equals", 'Content-Type: multipart/mixed; boundary = "\\""'),
                 ("comment-after-value", 'Content-Type: multipart/mixed; boundary="\\"" (c)'),
                 ("second-parameter", 'Content-Type: multipart/mixed; charset=x; boundary="\\""'),
                 # a tab is a token byte to libetpan, and the field is RFC 2047 decoded first
                 ("tab-before-equals", 'Content-Type: multipart/mixed; boundary\t="\\""'),
                 ("encoded-word", 'Content-Type: multipart/mixed; boundary==?us-ascii?q?=22=5C=22=22?='),
                 ("encoded-word-folded",
                  'Content-Type: multipart/mixed; boundary==?us-ascii?q?=22=5C?=\n =?us-ascii?q?=22=22?='),
                 ("encoded-parameter", 'Content-Type: multipart/mixed; =?us-ascii?q?boundary=3D=22=5C=22=22?=')]:
    msg("boundary-crash-" + name, hdr("WHP07 Change of Circumstances") + ct + CRASH_BODY, MAL)
msg("boundary-crash-in-part", hdr("WHP07 Change of Circumstances") +
    mixed(FORM_PART, 'Content-Type: multipart/mixed; boundary=(c)"\\""' + CRASH_BODY), MAL)
msg("boundary-crash-in-forwarded-base64", hdr("Fwd: WHP07 Change of Circumstances") +
    mixed(FORM_PART, "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" +
          b64(crlf("From: a@dwp.example\nSubject: x\nContent-Type: multipart/mixed; boundary=(x)\"\\\"\"" + CRASH_BODY))), MAL)
msg("boundary-quoted-pair-is-fine", hdr("WHP07 Change of Circumstances") +
    'Content-Type: multipart/mixed; boundary="a\\"b"\n\n--a"b\n' + FORM_PART + '\n--a"b--\n',
    ["accept change-of-circumstances"])


# Office packages: every entry is accounted for.
def docx_with(extra_entries, body_attr="", nino="AB 12 34 56 C"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        zput(z, "[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        rows = [("Participant surname", "Smith"), ("National Insurance number", nino),
                ("Change", "Re-engaged with the programme"), ("Date of change", "2026-11-20")]
        paras = "".join('<w:p%s><w:r><w:t>%s: %s</w:t></w:r></w:p>' % (((body_attr if i == 0 else ""),) + tuple(r))
                        for i, r in enumerate(rows))
        zput(z, "word/document.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                   '<w:body>%s</w:body></w:document>' % paras)
        for name, data in extra_entries:
            zput(z, name, data)
    return buf.getvalue()


def docx_message(data, body="The form is attached.\n"):
    return (hdr("WHP07 Change of Circumstances") +
            mixed("Content-Type: text/plain; charset=utf-8\n\n" + body,
                  att_b64("WHP07.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", data)))


INNER = docx_with([], nino="CE 65 43 21 A")
msg("docx-attribute-value", docx_message(docx_with([], ' w:rsidR="CE654321A"')), TWO)
msg("docx-embedded-docx", docx_message(docx_with([("word/embeddings/Microsoft_Word_Document1.docx", INNER)])), TWO)
msg("docx-text-entry", docx_message(docx_with([("word/notes.txt", "Partner: CE654321A\n")])), TWO)
msg("docx-macros", docx_message(docx_with([("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)]),
    body=COC), UNI)
msg("docx-ole-object", docx_message(docx_with([("word/embeddings/oleObject1.bin", b"\x01\x02\x03\x00binary")]),
    body=COC), UNI)
msg("docx-thumbnail-is-decoration", docx_message(docx_with([("docProps/thumbnail.jpeg", b"\xff\xd8\xff\xe0" + b"\0" * 32)])),
    ["accept change-of-circumstances"])


# --- the Provider Direct seed (003): Annex B, WP08 and PRE01 ------------------
PSI = ("Prime provider organisation: Provider Ltd\nSubcontractor organisation: Acme Skills Ltd\n"
       "Date of change of circumstances: 2026-11-20\n"
       "Reason for completion: a member of staff with the access code was dismissed on that day.\n")
SEC = "wpd.security@dwp.example"
msg("psi-accepted", hdr("Potential Security Incident", to=SEC) + "Content-Type: text/plain; charset=utf-8\n\n" + PSI,
    ["accept potential-security-incident"])
msg("psi-with-staff-nino", hdr("Potential Security Incident", to=SEC) + "Content-Type: text/plain; charset=utf-8\n\n" +
    PSI + "Staff member's NI number: JK 12 34 56 D\n",
    ["reject potential-security-incident", "too-many-records"])
msg("psi-to-performance-manager", hdr("Potential Security Incident", to="performance.manager@dwp.example") +
    "Content-Type: text/plain; charset=utf-8\n\n" + PSI,
    ["reject potential-security-incident", "recipient-not-approved"])
msg("psi-incomplete", hdr("Potential Security Incident", to=SEC) + "Content-Type: text/plain; charset=utf-8\n\n" +
    PSI.replace("Reason for completion: a member of staff with the access code was dismissed on that day.\n", "Reason for completion: dismissed\n"),
    ["reject potential-security-incident", "template-incomplete"])
msg("security-inbox-takes-nothing-else", hdr("WHP07 Change of Circumstances", to=SEC) + PLAIN,
    ["reject change-of-circumstances", "recipient-not-approved"])
WP08 = ("Participant full name: Jo Smith\nNational Insurance number: AB 12 34 56 C\n"
        "Mandated activity: CV workshop on 2026-11-18 at the Leeds office\nDate of failure: 2026-11-18\n"
        "Date Provider Direct was called: 2026-11-19\n")
LMDM = "lmdm.whp@dwp.example"
msg("wp08-accepted", hdr("WP08 Failure to take part", to=LMDM) + "Content-Type: text/plain; charset=utf-8\n\n" + WP08,
    ["accept compliance-doubt"])
msg("wp08-without-provider-direct-call", hdr("WP08 Failure to take part", to=LMDM) +
    "Content-Type: text/plain; charset=utf-8\n\n" + WP08.replace("Date Provider Direct was called: 2026-11-19\n", ""),
    ["reject compliance-doubt", "template-incomplete"])
PRE01 = ("Participant full name: Jo Smith\nNational Insurance number: AB 12 34 56 C\n"
         "Employment refused or not taken up: warehouse operative, Leeds, 37 hours a week\n"
         "Date of refusal: 2026-11-17\nDate Provider Direct was called: 2026-11-19\n")
msg("pre01-accepted", hdr("PRE01 Refusal of Employment", to=LMDM) + "Content-Type: text/plain; charset=utf-8\n\n" + PRE01,
    ["accept compliance-doubt"])
msg("pre01-to-subcontractor", hdr("PRE01 Refusal of Employment", to="whp@acme.example") +
    "Content-Type: text/plain; charset=utf-8\n\n" + PRE01,
    ["reject compliance-doubt", "recipient-not-approved"])
msg("pre01-two-participants", hdr("PRE01 Refusal of Employment", to=LMDM) + "Content-Type: text/plain; charset=utf-8\n\n" +
    PRE01 + "The same vacancy was refused by CE 65 43 21 A.\n",
    ["reject compliance-doubt", "too-many-records"])


# The detail of each reason, in order (tests/messages.sh compares whole lines:
# which field, which recipient, which file). Reviewed by hand when written.
DETAILS = {
    "bad-base64": ["a base64 part (text/plain) holds characters that are not base64"],
    "binhex-in-body": ["message text (BinHex file in the text)"],
    "boundary-crash-comment-after-value": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-comment-before-colon": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-comment": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-folded": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-in-forwarded-base64": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-in-part": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-second-parameter": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-tab-before-equals": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-encoded-word": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-encoded-word-folded": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-encoded-parameter": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-space-before-colon": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-spaces-around-equals": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash-upper-case": ["a boundary parameter this parser cannot read safely"],
    "boundary-crash": ["a boundary parameter this parser cannot read safely"],
    "cte-on-multipart": ["the transfer encoding \"x-gzip\" of the message cannot be decoded"],
    "cte-x-foo": ["the transfer encoding \"x-foo\" of the message cannot be decoded"],
    "cte-x-uuencode": ["the transfer encoding \"x-uuencode\" of a body part cannot be decoded"],
    "cyrillic-look-alike-letters": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "docx-attribute-value": ["2 participant records; change-of-circumstances allows at most 1 (found in WHP07.docx)"],
    "docx-embedded-docx": ["2 participant records; change-of-circumstances allows at most 1 (found in WHP07.docx)"],
    "docx-macros": ["WHP07.docx (the document holds a part that cannot be read (word/vbaProject.bin))"],
    "docx-ole-object": ["WHP07.docx (the document holds a part that cannot be read (word/embeddings/oleObject1.bin))"],
    "docx-text-entry": ["2 participant records; change-of-circumstances allows at most 1 (found in WHP07.docx)"],
    "duplicate-to": ["the To header appears more than once"],
    "employment-business-late": ["2026-11-26 is 3 day(s) from today; 5 are required"],
    "encoded-word-utf16-subject": ["the subject holds a National Insurance number",
        "2 participant records; change-of-circumstances allows at most 1 (found in the Subject, the body)"],
    "encoded-words-split-number": ["the subject holds a National Insurance number",
        "2 participant records; change-of-circumstances allows at most 1 (found in the Subject, the body)"],
    "entity-in-subject": ["the subject holds a National Insurance number",
        "2 participant records; change-of-circumstances allows at most 1 (found in the Subject, the body)"],
    "epilogue-nested": ["2 participant records; change-of-circumstances allows at most 1 (found in the text around the parts, the body)"],
    "epilogue": ["2 participant records; change-of-circumstances allows at most 1 (found in the text around the parts, the body)"],
    "esf-withdrawn": ["process withdrawn on 2023-07-23"],
    "exit-report-short-next-steps": ["'Next steps' has 3 words; at least 25 are needed"],
    "fifty-recipients-is-the-limit": ["%s: not a department inbox or an approved sub-contractor" % a
        for a in ["person%d@acme.example" % i for i in range(49)]],
    "forwarded-base64-header": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, a forwarded message)"],
    "forwarded-cc-display-name": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, a forwarded message)"],
    "forwarded-message": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, a text part)"],
    "forwarded-subject": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, a forwarded message)"],
    "forwarded-two-deep-header": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, a forwarded message)"],
    "forwarded-x-header": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, a forwarded message)"],
    "fullwidth-body": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "fullwidth-subject": ["the subject holds a National Insurance number",
        "2 participant records; change-of-circumstances allows at most 1 (found in the Subject, the body)"],
    "greek-look-alike-subject": ["the subject holds a National Insurance number",
        "2 participant records; change-of-circumstances allows at most 1 (found in the Subject, the body)"],
    "header-line-without-colon": ["header line 4 cannot be read"],
    "html-alt-attribute": ["3 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-bogus-comment": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-cdata": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-data-attribute": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-data-uri-base64": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-data-uri-percent": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-end-tag-attribute": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-entity-number": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-meta-content": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-script": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-split-by-tags": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "html-style": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "ideographic-space-and-dashes": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "internal-and-department": ["caseworkers@provider.example: internal inboxes do not receive outbound forms",
        "someone@gmail.example: not a department inbox or an approved sub-contractor"],
    "invisible-bom-in-body": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "invisible-shy-subject": ["the subject holds a National Insurance number",
        "2 participant records; change-of-circumstances allows at most 1 (found in the Subject, the body)"],
    "invisible-to-display-name": ["2 participant records; change-of-circumstances allows at most 1 (found in the message's headers, the body)"],
    "invisible-word-joiner-x-header": ["2 participant records; change-of-circumstances allows at most 1 (found in the message's headers, the body)"],
    "invisible-zwsp-encoded-subject": ["the subject holds a National Insurance number",
        "2 participant records; change-of-circumstances allows at most 1 (found in the Subject, the body)"],
    "json-attachment": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, data.json)"],
    "message-partial": ["part (part of a message sent elsewhere)"],
    "multipart-parameter-sections": ["2 participant records; change-of-circumstances allows at most 1 (found in the message's headers, the body)"],
    "names-list-bad-row": ["list.csv row 3, column 'National Insurance number': not a National Insurance number with its final letter"],
    "nino-in-subject": ["the subject holds a National Insurance number"],
    "no-recipient": ["the message has no To, Cc or Bcc address"],
    "no-record": ["no National Insurance number was found",
        "'National Insurance number' must hold exactly one National Insurance number with its final letter, like QQ 12 34 56 C"],
    "offshore-subcontractor": ["whp@faraway.example: Faraway Data Services is marked offshore"],
    "other-parameter": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, the headers of a body part)"],
    "part-header-content-id": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, the headers of a body part)"],
    "part-header-description": ["2 participant records; change-of-circumstances allows at most 1 (found in the headers of a body part, the body)"],
    "part-header-x-note": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, the headers of a body part)"],
    "pdf-attachment": ["letter.pdf (application/pdf)"],
    "permit-not-started": ["referrals@brightpath.example: the permit of Brightpath Training for change-of-circumstances starts on 2027-01-01"],
    "photo-attached": ["id-card.png (image/png)"],
    "pre01-to-subcontractor": ["whp@acme.example: Acme Skills Ltd holds no permit for compliance-doubt"],
    "pre01-two-participants": ["2 participant records; compliance-doubt allows at most 1 (found in the body)"],
    "preamble": ["2 participant records; change-of-circumstances allows at most 1 (found in the text around the parts, the body)"],
    "psi-incomplete": ["'Reason for completion' has 1 word; at least 5 are needed"],
    "psi-to-performance-manager": ["performance.manager@dwp.example: this DWP inbox does not take potential-security-incident"],
    "psi-with-staff-nino": ["1 participant record; potential-security-incident allows at most 0 (found in the body)"],
    "qp-soft-break-in-number": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "quoted-local-part-needing-quotes": ["\"whp..x\"@acme.example: not a department inbox or an approved sub-contractor"],
    "quoted-local-part-with-parenthesis": ["the To header cannot be read"],
    "quoted-local-part-with-space": ["an address of the To header cannot be read exactly"],
    "rfc2047-filename": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, the headers of a body part)"],
    "rfc2231-3001-sections": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, the headers of a body part)"],
    "rfc2231-filename-encoded": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, the headers of a body part)"],
    "rfc2231-filename-quoted": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, the headers of a body part)"],
    "rfc2231-name-sections": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, the headers of a body part)"],
    "rfc2231-sections-out-of-order": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, the headers of a body part)"],
    "rfc822-headers-part": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, a text part)"],
    "rtf-attachment": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, notes.rtf)"],
    "security-inbox-takes-nothing-else": ["wpd.security@dwp.example: this DWP inbox does not take change-of-circumstances"],
    "signed-plain-text-signature": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, a text part)"],
    "template-incomplete": ["'Change' is missing",
        "'Date of change' is not a date (write YYYY-MM-DD or D/M/YYYY): 31/11/2026"],
    "too-deep": ["the message is nested more than 8 levels deep"],
    "too-many-parts": ["the message has more than 256 parts"],
    "too-many-recipients": ["51 distinct recipients; the policy allows 50"],
    "truncated-multipart": ["a multipart/mixed part is not closed"],
    "two-participants": ["2 participant records; change-of-circumstances allows at most 1 (found in the body)"],
    "unknown-process": ["the subject does not start with the standard subject of an approved form"],
    "utf16-attachment": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, notes.txt)"],
    "utf16-nul-characters": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, notes.txt)"],
    "utf16-undeclared-nul-pairs": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, notes.txt)"],
    "utf16be-declared-no-bom": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, notes.txt)"],
    "utf32-bom-undeclared": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, notes.txt)"],
    "utf32-declared": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, notes.txt)"],
    "uuencode-in-body": ["message text (uuencoded file in the text)"],
    "uuencode-without-end": ["message text (uuencoded file in the text)"],
    "wp08-without-provider-direct-call": ["'Date Provider Direct was called' is missing"],
    "xml-char-refs": ["2 participant records; change-of-circumstances allows at most 1 (found in the body, data.xml)"],
    "zip-attachment": ["notes.zip (archive)"],
}


def expect_lines(name, expect):
    """The verdict line, then "code: detail" for each reason and warning."""
    codes, details = expect[1:], DETAILS.get(name, [])
    if len(codes) != len(details):
        raise SystemExit("%s: %d codes but %d details" % (name, len(codes), len(details)))
    return [expect[0]] + ["%s: %s" % cd for cd in zip(codes, details)]


def main():
    os.makedirs(OUT, exist_ok=True)
    unused = set(DETAILS) - set(MESSAGES)
    if unused:
        raise SystemExit("details for no message: %s" % ", ".join(sorted(unused)))
    for name, (text, expect) in sorted(MESSAGES.items()):
        with open(os.path.join(OUT, name + ".eml"), "w", newline="") as f:
            f.write(text)
        with open(os.path.join(OUT, name + ".expect"), "w", encoding="utf-8") as f:
            f.write("\n".join(expect_lines(name, expect)) + "\n")
    print("wrote %d messages to %s" % (len(MESSAGES), OUT))


if __name__ == "__main__":
    main()
