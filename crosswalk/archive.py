"""Zip safety: every CMS zip is checked before a single member is read.

A downloaded zip is untrusted input. Member names that are absolute or climb with `..` would
write outside the target if extracted (zip-slip); a small zip can declare gigabytes of content
(zip bomb); a cut-off download is a corrupt zip. All three are refused with a BadInput naming
the file and member. Readers never extract to disk: they read members into memory through
`read_member`, whose size zipfile enforces against the checked header.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from crosswalk.errors import BadInput
from crosswalk.settings import Settings

# Real CMS members compress at most ~25:1 (the crosswalk CSVs padded with empty columns);
# deflate tops out near 1030:1, which is what bombs use.
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 1024 * 1024  # tiny members may compress well without being a threat
_DRIVE = re.compile(r"^[A-Za-z]:")
_ZIP_MAGIC = b"PK\x03\x04"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks: the identity of every CMS file version we keep
    and of every drug list a match run used."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def zip_members(path: Path, settings: Settings) -> list[zipfile.ZipInfo]:
    """The members of a zip after the zip-slip, zip-bomb and corrupt-zip checks."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise BadInput(f"not a readable zip ({error})", file=path.name) from error
    for member in members:
        _check_name(path, member.filename)
        check_ratio(path.name, member)
    total = sum(member.file_size for member in members)
    if total > settings.max_unzipped_bytes:
        raise BadInput(f"members would unpack to {total:,} bytes, over the "
                       f"{settings.max_unzipped_bytes:,}-byte cap (possible zip bomb)",
                       file=path.name)
    return members


def is_single_file(path: Path, name: str | None = None) -> bool:
    """Is this a file saved from inside a CMS zip (the TXT, CSV, XLSX or XLS a browser keeps)
    rather than the zip? A name ending in .zip is always a zip, so a corrupt zip is never
    taken for text; otherwise anything that is not a zip, or is a workbook (an XLSX is a zip
    of xl/ parts), is one file. `name` is the file's name when `path` is a temporary copy."""
    if (name or Path(path).name).lower().endswith(".zip"):
        return False
    with open(path, "rb") as stream:
        if stream.read(len(_ZIP_MAGIC)) != _ZIP_MAGIC:
            return True
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        return False  # a broken zip: zip_members names the fault
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


def check_single_file(path: Path, settings: Settings, name: str | None = None) -> None:
    """The checks that apply to one file: the unzipped-size cap, and for a workbook (itself a
    zip) the zip-bomb and corrupt-zip checks of its parts."""
    where = name or Path(path).name
    size = Path(path).stat().st_size
    if size > settings.max_unzipped_bytes:
        raise BadInput(f"{size:,} bytes, over the {settings.max_unzipped_bytes:,}-byte cap for "
                       "one file", file=where)
    if zipfile.is_zipfile(path):
        try:
            verify_zip(path, settings)
        except BadInput as error:
            raise BadInput(error.reason, file=where, field=error.field) from error


def verify_zip(path: Path, settings: Settings) -> list[zipfile.ZipInfo]:
    """zip_members plus a CRC check of every member: a download must pass before it lands."""
    members = zip_members(path, settings)
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise BadInput(f"corrupt zip ({error})", file=Path(path).name) from error
    if broken is not None:
        raise BadInput("corrupt zip: member fails its CRC check", file=Path(path).name,
                       field=broken)
    return members


def read_member(path: Path, name: str, settings: Settings) -> bytes:
    """One member's bytes, after the checks; errors name `zip!member`."""
    path = Path(path)
    names = [member.filename for member in zip_members(path, settings)]
    if name not in names:
        raise BadInput(f"no member {name!r}; members are: {', '.join(names)}", file=path.name)
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise BadInput(f"corrupt zip member ({error})", file=f"{path.name}!{name}") from error


def _check_name(path: Path, name: str) -> None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts:
        raise BadInput("unsafe member path (absolute or '..': zip-slip), refused",
                       file=path.name, field=name)


def check_ratio(where: str, member: zipfile.ZipInfo) -> None:
    """Refuse a member that inflates beyond what real files do: a downloaded zip's, or a
    workbook's own parts (an XLSX is a zip too, read without the download's checks)."""
    if member.file_size <= RATIO_FLOOR_BYTES:
        return
    ratio = member.file_size / max(member.compress_size, 1)
    if ratio > MAX_RATIO:
        raise BadInput(f"member declares {member.file_size:,} bytes from "
                       f"{member.compress_size:,} compressed (ratio {ratio:,.0f}:1, over "
                       f"{MAX_RATIO}:1): possible zip bomb, refused", file=where,
                       field=member.filename)
