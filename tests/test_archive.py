"""crosswalk.archive: the zip checks every CMS file passes before a member is read."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from crosswalk.archive import (check_single_file, file_sha256, is_single_file, read_member,
                               verify_zip, zip_members)
from crosswalk.errors import BadInput
from crosswalk.settings import Settings

SETTINGS = Settings()


def write_zip(path: Path, members: dict[str, bytes],
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return path


def test_file_sha256_is_the_digest_of_the_bytes(tmp_path):
    path = tmp_path / "f.bin"
    payload = bytes(range(256)) * 9000  # over one read chunk
    path.write_bytes(payload)
    assert file_sha256(path) == hashlib.sha256(payload).hexdigest()


@pytest.mark.parametrize("name", ["/etc/passwd", "\\windows\\x.txt", "C:/x.txt",
                                  "../up.txt", "a/../../up.txt", "a\\..\\up.txt"])
def test_member_names_that_would_escape_are_refused(tmp_path, name):
    path = write_zip(tmp_path / "slip.zip", {"ok.txt": b"x", name: b"y"})
    with pytest.raises(BadInput, match="zip-slip") as raised:
        zip_members(path, SETTINGS)
    assert (raised.value.file, raised.value.field) == ("slip.zip", name)


def test_a_member_that_inflates_like_a_bomb_is_refused(tmp_path):
    path = write_zip(tmp_path / "bomb.zip", {"bomb.txt": bytes(4 * 1024 * 1024)})
    with pytest.raises(BadInput, match="possible zip bomb") as raised:
        zip_members(path, SETTINGS)
    assert raised.value.field == "bomb.txt"


def test_small_members_may_compress_well(tmp_path):
    path = write_zip(tmp_path / "small.zip", {"zeros.txt": bytes(500_000)})
    assert [m.filename for m in zip_members(path, SETTINGS)] == ["zeros.txt"]


def test_the_unpacked_total_is_capped(tmp_path):
    path = write_zip(tmp_path / "big.zip", {"a.txt": b"a" * 6000, "b.txt": b"b" * 6000},
                     zipfile.ZIP_STORED)
    with pytest.raises(BadInput, match="12,000 bytes, over the 10,000-byte cap"):
        zip_members(path, replace(SETTINGS, max_unzipped_bytes=10_000))


def test_a_cut_off_download_is_not_a_readable_zip(tmp_path):
    whole = write_zip(tmp_path / "whole.zip", {"a.txt": b"a" * 1000}).read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(BadInput, match="not a readable zip") as raised:
        zip_members(cut, SETTINGS)
    assert raised.value.file == "cut.zip"


def test_verify_zip_finds_a_member_whose_bytes_fail_their_crc(tmp_path):
    payload = b"HCPCS" * 200
    data = bytearray(write_zip(tmp_path / "ok.zip", {"a.txt": payload},
                               zipfile.ZIP_STORED).read_bytes())
    at = bytes(data).index(payload)
    data[at] ^= 0xFF  # one flipped byte in the stored member
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(data))
    assert zip_members(broken, SETTINGS)  # the directory still reads
    with pytest.raises(BadInput, match="CRC") as raised:
        verify_zip(broken, SETTINGS)
    assert (raised.value.file, raised.value.field) == ("broken.zip", "a.txt")


def test_read_member_names_the_members_when_one_is_missing(tmp_path):
    path = write_zip(tmp_path / "r.zip", {"x.csv": b"1", "y.csv": b"2"})
    assert read_member(path, "y.csv", SETTINGS) == b"2"
    with pytest.raises(BadInput, match="no member 'z.csv'; members are: x.csv, y.csv"):
        read_member(path, "z.csv", SETTINGS)


def test_an_in_memory_zip_is_never_extracted_to_disk(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", b"a,b\n")
    path = tmp_path / "mem.zip"
    path.write_bytes(buffer.getvalue())
    before = sorted(tmp_path.iterdir())
    assert read_member(path, "data.csv", SETTINGS) == b"a,b\n"
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("name, content, single", [
    ("HCPC2025_OCT_ANWEB.txt", b"J3590" + b" " * 315, True),
    ("download", b"HCPCS Code,Short Description\r\n", True),           # no extension at all
    ("pricing.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), True),  # legacy workbook
    ("october-2025-asp-pricing-file.zip", b"HCPCS Code,Short Description\r\n", False),
    ("saved.bin", b"PK\x03\x04 a zip cut short", False),               # a broken zip stays one
])
def test_a_single_file_is_told_from_a_zip_by_content_and_a_zip_name(tmp_path, name, content,
                                                                    single):
    """What a browser saves from inside a CMS zip is one file; a name ending in .zip, or zip
    bytes, are a zip (a corrupt one is named as such, never read as text)."""
    path = tmp_path / name
    path.write_bytes(content)
    assert is_single_file(path) is single


def test_a_workbook_is_a_single_file_though_it_is_a_zip(tmp_path):
    import cms_builders as cms

    workbook = tmp_path / "HCPC2025_OCT_ANWEB.xlsx"
    workbook.write_bytes(cms.hcpcs_xlsx(cms.sample_release("2025Q4").codes))
    zipped = write_zip(tmp_path / "hcpcs", {"HCPC2025_OCT_ANWEB.xlsx": workbook.read_bytes()})
    assert is_single_file(workbook) and not is_single_file(zipped)
    assert is_single_file(zipped, name="HCPC2025_OCT_ANWEB.xlsx") is False  # zip content


def test_a_single_file_passes_the_checks_that_apply_to_one_file(tmp_path):
    text = tmp_path / "a.csv"
    text.write_bytes(b"x" * 5_000)
    check_single_file(text, SETTINGS)
    with pytest.raises(BadInput, match="5,000 bytes, over the 4,000-byte cap") as refused:
        check_single_file(text, replace(SETTINGS, max_unzipped_bytes=4_000), name="saved.csv")
    assert refused.value.file == "saved.csv"
    bomb = write_zip(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": bytes(8 << 20)})
    with pytest.raises(BadInput, match="zip bomb") as refused:  # a workbook's parts
        check_single_file(bomb, SETTINGS)
    assert refused.value.file == "bomb.xlsx"
