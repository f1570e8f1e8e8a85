"""XLSX files written part by part, for the workbooks openpyxl will not write or would write
slowly: a stray value at XFD1048576, hidden first sheets, cells without references, shared
formulas, DOCTYPEs. The parts follow ECMA-376 as Excel writes them, so openpyxl, calamine and
Excel open the good ones."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = f"{DOC_RELS}/worksheet"
CONTENT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"


@dataclass
class SheetPart:
    """One worksheet: its name, visibility and the XML inside <sheetData>."""

    name: str
    body: str
    state: str = "visible"
    dimension: str | None = None  # the declared <dimension ref>, e.g. "A1:C20"


def cells_xml(rows: Mapping[int, Mapping[str, object]]) -> str:
    """{row: {column letters: value}} -> <row>/<c> XML; text as inline strings, bool as t="b",
    numbers as numbers, a str starting with '=' as a formula."""
    out = []
    for row in sorted(rows):
        cells = "".join(cell_xml(f"{column}{row}", value) for column, value in
                        sorted(rows[row].items(), key=lambda item: (len(item[0]), item[0])))
        out.append(f'<row r="{row}">{cells}</row>')
    return "".join(out)


def cell_xml(ref: str, value: object, style: int | None = None) -> str:
    styled = f' s="{style}"' if style is not None else ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"{styled}><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{styled}><v>{value}</v></c>'
    text = str(value)
    if text.startswith("="):
        return f'<c r="{ref}"{styled}><f>{escape(text[1:])}</f></c>'
    return (f'<c r="{ref}" t="inlineStr"{styled}><is><t xml:space="preserve">{escape(text)}'
            "</t></is></c>")


def table_rows(rows: Sequence[Sequence[object]], first_row: int = 1) -> str:
    """Rows of values from A1 down (None leaves the cell out), as cells_xml."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return cells_xml({first_row + at: {letters[col]: value for col, value in enumerate(row)
                                       if value is not None}
                      for at, row in enumerate(rows)})


def xlsx_parts(sheets: Sequence[SheetPart], *, shared_strings: Sequence[str] = (),
               styles: str | None = None, date1904: bool = False,
               doctype: str = "") -> bytes:
    """The bytes of a workbook with these sheets (in order), written as zip parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _content_types(len(sheets), bool(shared_strings),
                                                            styles is not None))
        book.writestr("_rels/.rels", _rels([("rId1", f"{DOC_RELS}/officeDocument",
                                              "xl/workbook.xml")]))
        listed = "".join(
            f'<sheet name={quoteattr(sheet.name)} sheetId="{n}" r:id="rId{n}"'
            + (f' state="{sheet.state}"' if sheet.state != "visible" else "") + "/>"
            for n, sheet in enumerate(sheets, start=1))
        pr = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
        book.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n'
                      f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}">{pr}'
                      f"<sheets>{listed}</sheets></workbook>")
        links = [(f"rId{n}", SHEET_TYPE, f"worksheets/sheet{n}.xml")
                 for n in range(1, len(sheets) + 1)]
        if shared_strings:
            links.append(("rIdS", f"{DOC_RELS}/sharedStrings", "sharedStrings.xml"))
            items = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>'
                            for text in shared_strings)
            book.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n'
                          f'<sst xmlns="{MAIN}" count="{len(shared_strings)}">{items}</sst>')
        if styles is not None:
            links.append(("rIdT", f"{DOC_RELS}/styles", "styles.xml"))
            book.writestr("xl/styles.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n'
                          f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>')
        book.writestr("xl/_rels/workbook.xml.rels", _rels(links))
        for n, sheet in enumerate(sheets, start=1):
            dimension = f'<dimension ref="{sheet.dimension}"/>' if sheet.dimension else ""
            book.writestr(f"xl/worksheets/sheet{n}.xml",
                          f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
                          f'<worksheet xmlns="{MAIN}" xmlns:r="{DOC_RELS}">{dimension}'
                          f"<sheetData>{sheet.body}</sheetData></worksheet>")
    return buffer.getvalue()


def date_styles(*number_formats: int | str) -> str:
    """styles.xml content whose cellXfs index i+1 shows number format i (an id, or a custom
    format code given as text); index 0 is General."""
    custom = [(164 + at, code) for at, code in enumerate(number_formats) if isinstance(code, str)]
    ids = iter(number for number, _ in custom)
    formats = "".join(f'<numFmt numFmtId="{number}" formatCode={quoteattr(code)}/>'
                      for number, code in custom)
    xfs = ['<xf numFmtId="0"/>'] + [
        f'<xf numFmtId="{next(ids) if isinstance(code, str) else code}" applyNumberFormat="1"/>'
        for code in number_formats]
    return (f'<numFmts count="{len(custom)}">{formats}</numFmts>' if custom else "") + (
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>')


def with_stray_cell(workbook: bytes, ref: str, value: object = "x",
                    part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """A copy of a workbook with one more cell, appended as its own row at the end of the
    sheet's data; the declared <dimension> is left as it was (so it lies, as a hand-edited or
    generated file's may)."""
    row = int(re.sub(r"^[A-Z]+", "", ref))
    extra = f'<row r="{row}">{cell_xml(ref, value)}</row>'.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == part:
                data = (data.replace(b"</sheetData>", extra + b"</sheetData>")
                        if b"</sheetData>" in data
                        else data.replace(b"<sheetData/>", b"<sheetData>" + extra
                                          + b"</sheetData>"))
            target.writestr(member, data)
    return buffer.getvalue()


def _rels(links: Sequence[tuple[str, str, str]]) -> str:
    body = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'
                   for rid, kind, target in links)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="{RELS}">{body}'
            "</Relationships>")


def _content_types(sheets: int, shared: bool, styles: bool) -> str:
    overrides = [("/xl/workbook.xml", f"{CONTENT_MAIN}.sheet.main+xml")]
    overrides += [(f"/xl/worksheets/sheet{n}.xml", f"{CONTENT_MAIN}.worksheet+xml")
                  for n in range(1, sheets + 1)]
    if shared:
        overrides.append(("/xl/sharedStrings.xml", f"{CONTENT_MAIN}.sharedStrings+xml"))
    if styles:
        overrides.append(("/xl/styles.xml", f"{CONTENT_MAIN}.styles+xml"))
    body = "".join(f'<Override PartName="{name}" ContentType="{kind}"/>'
                   for name, kind in overrides)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            f'ContentType="application/xml"/>{body}</Types>')
