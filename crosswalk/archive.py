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
