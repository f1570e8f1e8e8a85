"""The type size the Alerts sheet prints at, fitted one page wide on landscape Letter and A4.

The workbook asks for "fit to one page wide"; the scale (and so the type size) then depends on
the paper and the column widths. This renders the Alerts sheet with LibreOffice headless three
times (Letter, A4, and at 100% without fitting, for reference), reads the height of every word
on its first page with poppler's pdftotext -bbox, and prints the ratio to the 100% rendering
as a scale and a type size (the sheet's text is 11 pt Calibri; LibreOffice uses its
metric twin Carlito when installed: fonts-crosextra-carlito).

Run: .venv/bin/python benchmarks/print_size.py NOC-ALERTS.xlsx [--pdf-page OUT.pdf [--page N]]
  --pdf-page also keeps a Letter page of Alerts (the Nth, default the first) as a one-page
  PDF (docs/).
Needs: soffice (libreoffice-calc-nogui), pdftotext and pdfseparate (poppler-utils).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import openpyxl

BODY_POINTS = 11.0  # the workbook's font size
PAPERS = {"Letter": 1, "A4": 9}  # OOXML paperSize codes
_WORD = re.compile(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">')


def variant(source: Path, folder: Path, name: str, paper: int | None, fitted: bool) -> Path:
    """A copy of the workbook whose Alerts sheet prints on `paper`, fitted or at 100%."""
    book = openpyxl.load_workbook(source)
    sheet = book["Alerts"]
    if paper is not None:
        sheet.page_setup.paperSize = paper
    if not fitted:
        sheet.sheet_properties.pageSetUpPr.fitToPage = False
        sheet.page_setup.scale = 100
    path = folder / f"{name}.xlsx"
    book.save(path)
    return path


def to_pdf(workbook: Path, folder: Path) -> Path:
    profile = (folder / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
                   check=True, capture_output=True, timeout=300)
    return workbook.with_suffix(".pdf")


def first_alerts_page(pdf: Path) -> int:
    """The first page whose running header names the Alerts sheet."""
    page = 1
    while True:
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout",
                               str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        if not text:
            raise SystemExit(f"no Alerts page in {pdf}")
        if text.splitlines()[0].rstrip().endswith("Alerts"):
            return page
        page += 1


def word_height(pdf: Path, page: int) -> float:
    """The median height of the words on one page (body and header text share one size)."""
    html = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout
    return statistics.median(float(bottom) - float(top) for top, bottom in _WORD.findall(html))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--pdf-page", type=Path, help="keep a Letter page of Alerts here")
    parser.add_argument("--page", type=int, default=1, help="which page of Alerts to keep")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        reference = to_pdf(variant(args.workbook, folder, "full-size", PAPERS["Letter"], False),
                           folder)
        full = word_height(reference, first_alerts_page(reference))
        for paper, code in PAPERS.items():
            pdf = to_pdf(variant(args.workbook, folder, paper, code, True), folder)
            page = first_alerts_page(pdf)
            scale = word_height(pdf, page) / full
            print(f"{paper:<7} landscape, one page wide: scale {scale:.0%}, type "
                  f"{BODY_POINTS * scale:.1f} pt")
            if paper == "Letter" and args.pdf_page:
                kept = page + args.page - 1
                subprocess.run(["pdfseparate", "-f", str(kept), "-l", str(kept), str(pdf),
                                str(folder / "page.pdf")], check=True)
                shutil.copyfile(folder / "page.pdf", args.pdf_page)


if __name__ == "__main__":
    main()
