"""crosswalk.archive: the zip checks every CMS file passes before a member is read."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from crosswalk.archive import file_sha256, read_member, verify_zip, zip_members
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
