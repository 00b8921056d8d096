"""Parse step of the data flow: one SourceRecord -> one Document (pipeline.SourceRun calls it per record,
`kmingest connectors preview` too). Parses the record's file or fields (kmingest.parsing), normalises the
text, and takes its date, author and title from the connector or the document itself (document_metadata).
"""

from __future__ import annotations

from kmingest.document_metadata import TitleFrom, choose_title, document_author, document_date
from kmingest.models import Document, SourceRecord
from kmingest.parsing import parse_bytes, parse_fields
from kmingest.parsing.base import ParseLimits, UnsupportedFormat
from kmingest.parsing.binary import check_text
from kmingest.parsing.normalize import clean_text, clean_value, normalize_content


class Skip(Exception):
    """The record holds nothing to index (unsupported format, no text)."""


def to_document(
    record: SourceRecord, content_hash: str, limits: ParseLimits, title_from: TitleFrom = "auto"
) -> Document:
    """Parse a record into a Document with normalised text; raises ParseError (failed) or Skip (skipped).
    Date, author and title: the connector's or the document's own (document_metadata)."""
    try:
        if record.content is not None:
            parsed = parse_bytes(record.content, record.filename or record.external_id, limits)
        elif record.fields is not None:
            parsed = parse_fields(record.fields, record.title)
        else:
            raise Skip("record has neither content nor fields")
        check_text(parsed.text, parsed.doc_type)
    except UnsupportedFormat as err:
        raise Skip(str(err)) from None
    parsed = normalize_content(parsed)
    if not parsed.text.strip():
        raise Skip("no text extracted (empty, or only images)")
    updated_at, date_source = document_date(record, parsed.metadata)
    author, author_source = document_author(record, parsed.metadata)
    provenance = {"date_source": date_source, "author_source": author_source}
    return Document(
        doc_id=record.doc_id,
        source=record.source,
        external_id=record.external_id,
        system=record.system,
        title=clean_text(choose_title(record, parsed, title_from)).strip()[:500],
        text=parsed.text,
        sections=parsed.sections,
        doc_type=record.doc_type or parsed.doc_type,
        department=record.department,
        acl=record.acl,
        content_hash=content_hash,
        updated_at=updated_at,
        author=author,
        url=clean_value(record.url),
        metadata={**parsed.metadata, **{k: clean_value(v) for k, v in record.metadata.items()}}
        | {key: origin for key, origin in provenance.items() if origin},
    )
