/*
 * office - the text of Office Open XML (docx, xlsx, pptx) and OpenDocument
 * (odt, ods, odp) files, read through libzip and libxml2, for finding
 * records and template fields in attachments.
 *
 * Every XML part's text is extracted (deleted revisions included: a record
 * deleted with track changes on is still in the file that leaves); images
 * inside are decoration. Paragraphs and table rows end lines; table cells
 * of a row are joined as "cell1: cell2" so that a form laid out as a table
 * reads as field lines. Limits guard against zip bombs: at most
 * zip_max_entries entries, zip_max_total bytes uncompressed in all,
 * zip_max_ratio : 1 per entry. XML is parsed with no network, no DTD and no
 * entities.
 */
#ifndef MG_OFFICE_H
#define MG_OFFICE_H

#include <stddef.h>

#include "mime.h"

enum office_kind { OFFICE_NONE, OFFICE_DOCX, OFFICE_XLSX, OFFICE_PPTX, OFFICE_ODT,
	OFFICE_ODS, OFFICE_ODP, OFFICE_OTHER_ZIP };

/* What the bytes are, by content (the zip's [Content_Types].xml or mimetype entry). */
enum office_kind office_sniff(const char *data, size_t len);

/*
 * Extracts the text of an Office file into out (UTF-8, where form fields
 * are read) and every attribute value and text entry into extra (searched
 * for records only). Office documents embedded in it are read the same
 * way, within the same limits. Returns 0, or -1 with a one-line reason in
 * err (not an Office file, limits exceeded, encrypted, corrupt, a binary
 * part that carries content such as macros or OLE objects): the caller
 * makes that part uninspectable.
 */
int office_extract(const char *data, size_t len, const struct mime_limits *lim,
    struct sbuf *out, struct sbuf *extra, char *err, size_t errlen);

#endif
