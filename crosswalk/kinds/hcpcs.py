"""The HCPCS Level II alpha-numeric release: the ANWEB file (fixed-width TXT and/or the
workbook), the NOC codes companion workbook and the transaction report, in one quarterly zip.

Listed on the HCPCS quarterly update page as "<Month> <Year> Alpha-Numeric HCPCS File"
(re-posted as v2, v3...). Record layout, processing notes and corrections lists in the same
zip are left alone.
"""

from __future__ import annotations

from crosswalk.source_kind import HCPCS_PAGE, SourceKind, words
from crosswalk.readers.hcpcs import read_hcpcs_zip
from crosswalk.readers.layouts import Column, Layout, MemberRule, numbered

# ANWEB workbook (48 columns; header on row 1 since ~2021, row 11 in the 2020 XLS).
CODES = Layout("hcpcs_codes", (
    Column("code", r"HCPCS?( CODE)?", required=True),
    Column("seq_num", r"SEQ ?NUM(BER)?|SEQUENCE NUMBER"),
    Column("recid", r"REC ?ID|RECORD ID"),
    Column("long_description", r"LONG ?DESC(RIPTION|RIPTOR)?", required=True),
    Column("short_description", r"SHORT ?DESC(RIPTION|RIPTOR)?"),
    *numbered("price_cd", r"PRICE ?{i}|PRICING IND(ICATOR)? ?{i}", 4),
    Column("multi_pi", r"MULTI?( PI| PRICING IND(ICATOR)?)"),
    *numbered("xref", r"XREF ?{i}|CROSS ?REF(ERENCE)? ?{i}", 5),
    Column("coverage", r"COV(ERAGE)?"),
    Column("asc_group", r"ASC ?GRP|ASC GROUP"),
    Column("betos", r"BETOS"),
    *numbered("tos", r"TOS ?{i}", 5),
    Column("anest_bu", r"ANES(T|THESIA)? ?(BU|BASE UNITS?)"),
    Column("add_date", r"ADD ?(DT|DATE)|CODE ADDED DATE", required=True),
    Column("action_eff_date", r"ACT(ION)? EFF(ECTIVE)? ?(DT|DATE)", required=True),
    Column("term_date", r"TERM(INATION)? ?(DT|DATE)", required=True),
    Column("action_cd", r"ACTION ?(CD|CODE)", required=True),
))

# "NOC codes_<MON><YYYY>.xlsx": title in B1, header on row 3, data from row 5.
NOC_CODES = Layout("noc_codes", (
    Column("code", r"HCPCS?( CODE)?", required=True),
    Column("long_description", r"LONG ?DESC(RIPTION|RIPTOR)?", required=True),
    Column("add_date", r"ADD ?(DT|DATE)", required=True),
    Column("term_date", r"TERM(INATION)? ?(DT|DATE)", required=True),
))

# Transaction report: TXT (tab-separated) or a workbook sheet, two columns.
TRANSACTIONS = Layout("hcpcs_transactions", (
    Column("code", r"HCPCS?(/MODIFIER)?( CODE)?", required=True),
    Column("change_type", r"TYPE OF CHANGE|CHANGE TYPE|ACTION", required=True),
))

_NOT_COMPANIONS = r"trans|correction|layout|proc_?notes|readme"

KIND = SourceKind(
    name="hcpcs", title="HCPCS alpha-numeric file", position=10, makes_release=True,
    listing_paths=(HCPCS_PAGE,),
    includes=words(r"\balpha ?numeric hcpcs\b"),
    # a separately posted corrections list is not the release file
    excludes=words(r"\bcorrections?\b", r"\basp\b", r"\bcrosswalk\b"),
    members=(
        MemberRule("hcpcs_txt", r"hcpc\d{4}.*anweb.*\.txt", _NOT_COMPANIONS, (".txt",)),
        MemberRule("hcpcs_xlsx", r"hcpc\d{4}.*anweb.*\.xlsx?", _NOT_COMPANIONS,
                   (".xlsx", ".xls")),
        MemberRule("noc_codes", r"noc[ _]codes.*\.xlsx?", prefer=(".xlsx", ".xls")),
        MemberRule("hcpcs_transactions", r"hcpc\d{4}.*trans.*\.(txt|xlsx?)",
                   prefer=(".xlsx", ".txt", ".xls")),
    ),
    tables=("hcpcs_codes", "noc_codes", "hcpcs_transactions"), read=read_hcpcs_zip,
    layouts={"hcpcs_codes": CODES, "noc_codes": NOC_CODES,
             "hcpcs_transactions": TRANSACTIONS})
