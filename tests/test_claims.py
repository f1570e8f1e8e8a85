"""crosswalk.claims: service lines out of 837P files (and the file kind, by content).

Every 837P here is built by tests/claim_builders.py and passes pyx12's validator first; the
broken ones are broken on purpose, and pyx12 is asked to agree that they are broken.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

import claim_builders as cb
from crosswalk import claims
from crosswalk.errors import BadInput

D = date
DEPENDANT = cb.Patient(last="YYBRIGHTWATER", first="OTTOLINE", member_id="", street="9 QUAIL RUN",
                       city="MEADOWBRIAR", birth_date="20100505")
CLAIMS = [
    cb.Claim("ACCT1001", [
        cb.ServiceLine("J3590", 1, D(2025, 10, 15), ("JZ",), "ublituximab-xiiy (Briumvi) 450 mg",
                       note="IV over 4 hours", ndc="73150015006", ndc_quantity=18,
                       ndc_unit="ML"),
        cb.ServiceLine("96413", 1, D(2025, 10, 15)),
        cb.ServiceLine("96415", 3, D(2025, 10, 15)),
    ], prior_auth="PA778899", other_payer="AETNA BETTER HEALTH"),
    cb.Claim("ACCT1002", [
        cb.ServiceLine("J9312", 70, D(2025, 10, 16), ("JW", "59"), ndc="50242005121",
                       ndc_quantity=7, ndc_unit="UN", pos="22",
                       dos_through=D(2025, 10, 17)),
    ], pos="19", patient=DEPENDANT, payer="BLUE CROSS OF ILLINOIS"),
    cb.Claim("ACCT1003", [cb.ServiceLine("Q5123", 70, D(2025, 10, 20), ("JZ",))], pos="22"),
]


@pytest.fixture
def x12_file(tmp_path: Path) -> Path:
    path = tmp_path / "outbound.dat"
    path.write_bytes(cb.x12_837p(CLAIMS, per_transaction=2))
    assert cb.pyx12_problems(path) == []
    return path


def read_lines(path: Path) -> tuple[list[dict], dict[str, int]]:
    counts: dict[str, int] = {}
    batches = list(claims.read_837p(path, counts, batch_lines=2))
    assert all(batch.schema == claims.LINE_SCHEMA for batch in batches)
    return pa.Table.from_batches(batches).to_pylist(), counts


def test_every_service_line_with_what_a_payer_judges_it_on(x12_file):
    lines, counts = read_lines(x12_file)
    assert counts == {"transactions": 2, "claims": 3, "lines": 5}
    first, infusion, _, wasted, biosimilar = lines
    assert first == {
        "line_seq": 1, "claim_seq": 1, "claim_id": "ACCT1001", "line_no": 1,
        "source_line": first["source_line"], "transaction_id": "0001",
        "date_of_service": D(2025, 10, 15), "dos_through": None, "place_of_service": "11",
        "hcpcs": "J3590", "modifiers": "JZ", "units": 1.0,
        "narrative": "ublituximab-xiiy (Briumvi) 450 mg; IV over 4 hours",
        "ndc_raw": "73150015006", "ndc_qualifier": "N4", "ndc_quantity": 18.0,
        "ndc_unit": "ML", "prior_auth": "PA778899", "payer": "MEDICARE PART B"}
    segments = x12_file.read_text().split("~\n")
    assert segments[first["source_line"] - 1].startswith("SV1*HC:J3590")
    assert (infusion["hcpcs"], infusion["line_no"], infusion["narrative"]) == ("96413", 2, None)
    # the line's place of service beats the claim's; RD8 gives a range; other claims' facts
    assert (wasted["place_of_service"], wasted["date_of_service"], wasted["dos_through"]) == (
        "22", D(2025, 10, 16), D(2025, 10, 17))
    assert wasted["modifiers"] == "JW,59" and wasted["transaction_id"] == "0001"
    assert (wasted["payer"], wasted["prior_auth"], wasted["claim_seq"]) == (
        "BLUE CROSS OF ILLINOIS", None, 2)
    assert (biosimilar["transaction_id"], biosimilar["place_of_service"]) == ("0002", "22")


def test_the_payer_is_the_subscribers_not_the_secondary_payer_after_the_claim(x12_file):
    lines, _ = read_lines(x12_file)
    assert {line["payer"] for line in lines if line["claim_id"] == "ACCT1001"} == {
        "MEDICARE PART B"}


def test_no_patient_detail_is_read(x12_file):
    lines, _ = read_lines(x12_file)
    kept = " ".join(str(value) for line in lines for value in line.values())
    for detail in cb.Patient().details() + DEPENDANT.details():
        assert detail not in kept


def test_a_line_level_prior_authorisation_beats_the_claims(tmp_path):
    path = tmp_path / "pa.837"
    path.write_bytes(cb.x12_837p([cb.Claim("A1", [
        cb.ServiceLine("J2329", 450, D(2025, 10, 15), prior_auth="LINEPA9"),
        cb.ServiceLine("J2329", 450, D(2025, 10, 16))], prior_auth="CLAIMPA1")]))
    assert cb.pyx12_problems(path) == []
    lines, _ = read_lines(path)
    assert [line["prior_auth"] for line in lines] == ["LINEPA9", "CLAIMPA1"]


@pytest.mark.parametrize("name", ["claims.837", "claims.txt", "CLAIMS", "batch.x12"])
def test_an_837p_is_recognised_by_its_content_whatever_its_name(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(cb.x12_837p(CLAIMS))
    assert claims.file_kind(path) == "837p"
    assert claims.read_claim_file(path).kind == "837p"


def test_exports_are_recognised_as_csv_or_xlsx(tmp_path):
    csv_path, xlsx_path = tmp_path / "lines.txt", tmp_path / "lines.bin"
    csv_path.write_bytes(cb.export_csv(CLAIMS))
    xlsx_path.write_bytes(cb.export_xlsx(CLAIMS))
    assert (claims.file_kind(csv_path), claims.file_kind(xlsx_path)) == ("csv", "xlsx")
    old = tmp_path / "lines.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0legacy")
    with pytest.raises(BadInput, match="save the export as .xlsx or .csv"):
        claims.file_kind(old)


BROKEN = [
    ("units", b"SV1*HC:J3590:JZ::::ublituximab-xiiy (Briumvi) 450 mg*100*UN*1*",
     b"SV1*HC:J3590:JZ::::ublituximab-xiiy (Briumvi) 450 mg*100*UN*ONE*", "SV1", "SV104",
     "'ONE' is not a number"),
    ("date", b"DTP*472*D8*20251015~\nNTE", b"DTP*472*D8*20251341~\nNTE", "DTP", "DTP03",
     "'20251341' is not a date"),
    ("segment count", b"SE*39*0001", b"SE*40*0001", "SE", "SE01",
     "SE says the transaction has 40 segments, the file has 39"),
]


@pytest.mark.parametrize(("what", "good", "bad", "tag", "field", "reason"),
                         BROKEN, ids=[case[0] for case in BROKEN])
def test_a_broken_837p_is_refused_naming_file_segment_and_field(tmp_path, what, good, bad, tag,
                                                                 field, reason):
    content = cb.x12_837p(CLAIMS[:1])
    assert good in content
    path = tmp_path / "broken.837"
    path.write_bytes(content.replace(good, bad, 1))
    assert cb.pyx12_problems(path)  # pyx12 finds it broken too
    with pytest.raises(BadInput) as error:
        read_lines(path)
    number = content.split(good)[0].count(b"~") + 1
    assert str(error.value).startswith(f"broken.837 segment {number} ({tag}), field '{field}': ")
    assert reason in str(error.value)


def test_a_line_without_a_date_of_service_is_refused(tmp_path):
    content = cb.x12_837p(CLAIMS[:1]).replace(b"DTP*472*D8*20251015~\n", b"", 1)
    path = tmp_path / "nodate.837"
    path.write_bytes(content.replace(b"SE*39*", b"SE*38*"))
    assert cb.pyx12_problems(path)
    with pytest.raises(BadInput, match=r"nodate.837 segment \d+ \(SV1\): service line without "
                                       r"a date of service \(DTP\*472\)"):
        read_lines(path)


def test_a_file_cut_short_after_a_whole_segment_is_refused(tmp_path):
    content = cb.x12_837p(CLAIMS[:1])
    path = tmp_path / "cut.837"
    path.write_bytes(content[: content.index(b"SE*")])
    assert cb.pyx12_problems(path)
    with pytest.raises(BadInput, match="no SE: the file is cut short"):
        read_lines(path)
    path.write_bytes(content[: content.index(b"IEA*")])
    with pytest.raises(BadInput, match="no IEA closes the interchange"):
        read_lines(path)


def test_a_service_line_outside_a_claim_is_refused(tmp_path):
    content = cb.x12_837p(CLAIMS[:1])
    path = tmp_path / "orphan.837"
    path.write_bytes(content.replace(b"CLM*ACCT1001*", b"PAT*19~\nXXX*ACCT1001*", 1))
    assert cb.pyx12_problems(path)
    with pytest.raises(BadInput, match=r"orphan.837 segment \d+ \(LX\), field 'LX01': service "
                                       r"line outside a claim"):
        read_lines(path)


def test_the_reader_streams_in_batches(tmp_path):
    path = tmp_path / "many.837"
    many = [cb.Claim(f"A{i}", [cb.ServiceLine("J2329", 450, D(2025, 10, 15))]) for i in range(25)]
    path.write_bytes(cb.x12_837p(many, per_transaction=10))
    assert cb.pyx12_problems(path) == []
    batches = list(claims.read_837p(path, batch_lines=10))
    assert [batch.num_rows for batch in batches] == [10, 10, 5]
    assert pa.Table.from_batches(batches).column("line_seq").to_pylist() == list(range(1, 26))


def test_a_void_claim_is_passed_over_with_a_note(tmp_path):
    """CLM05-3 = 8 voids an earlier claim (REF*F8 names it) and bills nothing: its lines are
    not read as billed; a replacement (7) is read as any claim; the note names the void."""
    voided = [cb.Claim("ORIG1", CLAIMS[2].lines, pos="22"),
              cb.Claim("REPL1", CLAIMS[2].lines, pos="22", frequency="7",
                       payer_claim="PAYER0001"),
              cb.Claim("VOID1", CLAIMS[0].lines, frequency="8", payer_claim="PAYER0002")]
    path = tmp_path / "voids.837"
    path.write_bytes(cb.x12_837p(voided))
    assert cb.pyx12_problems(path) == []
    claim_file = claims.read_claim_file(path)
    lines = pa.Table.from_batches(list(claim_file.batches)).to_pylist()
    assert [(line["claim_id"], line["hcpcs"]) for line in lines] == [("ORIG1", "Q5123"),
                                                                     ("REPL1", "Q5123")]
    assert claim_file.notes == ["1 void claim(s) passed over (CLM05-3 = 8: it cancels an "
                                "earlier claim and bills nothing): VOID1"]
