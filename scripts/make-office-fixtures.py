#!/usr/bin/python3
"""Writes the Office fixtures of tests/data/office/ (run from the top of the tree).

Real, minimal documents of each format mailgate reads, plus hostile zips: a
compression bomb, too many entries, a plain archive and an XML part with a DTD.
"""
import io
import os
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "office")
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def z(name, entries, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(os.path.join(OUT, name), "w", method) as f:
        for n, data in entries:
            f.writestr(n, data)


def ct(main):
    return ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/x" ContentType="application/vnd.openxmlformats-officedocument.%s"/></Types>' % main)


os.makedirs(OUT, exist_ok=True)
z("form.docx", [("[Content_Types].xml", ct("wordprocessingml.document.main+xml")),
                ("word/document.xml", '<w:document %s><w:body><w:tbl><w:tr><w:tc><w:p><w:r><w:t>Participant surname</w:t></w:r></w:p></w:tc>'
                 '<w:tc><w:p><w:r><w:t>Smith</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
                 '<w:p><w:r><w:t>Kept</w:t></w:r><w:del><w:r><w:delText>CE 12 34 56 A</w:delText></w:r></w:del></w:p></w:body></w:document>' % W),
                ("word/media/image1.png", b"\x89PNG not really")])
z("list.xlsx", [("[Content_Types].xml", ct("spreadsheetml.sheet.main+xml")),
                ("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>NINO</t></si><si><t>AB123456C</t></si></sst>'),
                ("xl/worksheets/sheet1.xml", '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row></sheetData></worksheet>')])
z("slides.pptx", [("[Content_Types].xml", ct("presentationml.presentation.main+xml")),
                  ("ppt/slides/slide1.xml", '<p:sld xmlns:p="p" xmlns:a="a"><a:p><a:r><a:t>HN 01 02 03 B</a:t></a:r></a:p></p:sld>')])
for kind, ext in (("text", "odt"), ("spreadsheet", "ods"), ("presentation", "odp")):
    z("doc." + ext, [("mimetype", "application/vnd.oasis.opendocument." + kind),
                     ("content.xml", '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><text:p>Date of change:<text:s/>2026-11-20</text:p>'
                      '<text:p>GH 12 34 56 D</text:p></office:body></office:document-content>')], zipfile.ZIP_STORED)
z("bomb.docx", [("[Content_Types].xml", ct("wordprocessingml.document.main+xml")),
                ("word/document.xml", "<w:document %s>" % W + " " * (20 << 20) + "</w:document>")])
z("many.docx", [("[Content_Types].xml", ct("wordprocessingml.document.main+xml"))] +
  [("word/p%d.xml" % i, "<a/>") for i in range(1001)])
z("archive.zip", [("notes.txt", "AB123456C")])
z("dtd.docx", [("[Content_Types].xml", ct("wordprocessingml.document.main+xml")),
               ("word/document.xml", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "AB123456C">]><d>&a;</d>')])
print("wrote", sorted(os.listdir(OUT)))
