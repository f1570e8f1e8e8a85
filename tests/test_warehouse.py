"""The warehouse: connect, the one-writer lock, and loading releases from the raw archive.

Files are built in the real CMS layouts (tests/cms_builders.py), placed in the raw archive with
their manifest lines exactly as `crosswalk download` leaves them, and loaded through
load_quarter, the function `crosswalk load` calls.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from crosswalk import warehouse
from crosswalk.errors import Busy
from crosswalk.fetch import ManifestEntry
from crosswalk.settings import Settings

TABLES = ("hcpcs_codes", "noc_codes", "hcpcs_transactions", "asp_payment_limits",
          "asp_ndc_crosswalk", "noc_pricing", "noc_crosswalk", "source_files", "release_files")


def archive(settings: Settings, kind: str, quarter: str, name: str, content: bytes,
            url: str | None = None) -> ManifestEntry:
    """Place a file version in the raw archive and append its manifest line, as fetch does
    (a second version under the same name is kept beside the first, suffixed by its hash)."""
    sha256 = hashlib.sha256(content).hexdigest()
    folder = settings.raw_dir / kind / quarter
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        target = folder / f"{Path(name).stem}.{sha256[:12]}{Path(name).suffix}"
    target.write_bytes(content)
    entry = ManifestEntry(
        sha256=sha256, source_kind=kind, quarter=quarter, file_name=name, url=url,
        link_text=None, http_date=None, last_modified=None, etag=None, bytes=len(content),
        fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        archive_path=str(target.resolve()), picked_reason="test archive")
    with settings.manifest_path.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(asdict(entry)) + "\n")
    return entry


def snapshot(settings: Settings) -> dict[str, tuple[int, int | None]]:
    """Row count and an order-independent checksum of every loaded table."""
    with warehouse.open_writer(settings) as con:
        return {table: con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchone()
                for table in TABLES}


def hold_database(settings: Settings, seconds: float) -> subprocess.Popen:
    """Another process holding the database open read-write for `seconds`."""
    script = textwrap.dedent(f"""
        import sys, time
        from crosswalk import warehouse
        con = warehouse.connect({str(settings.db_path)!r})
        print("holding", flush=True)
        time.sleep({seconds})
    """)
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_connect_creates_tables_and_views_idempotently(settings):
    for _ in range(2):
        with warehouse.connect(settings) as con:
            names = {name for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"hcpcs_codes", "source_files", "load_runs", "release_files", "hcpcs_current",
            "hcpcs_history", "hcpcs_changes", "drug_codes_new", "asp_latest"} <= names


def test_a_second_writer_gets_busy_naming_the_database(settings):
    warehouse.connect(settings).close()
    holder = hold_database(settings, 30)
    try:
        with pytest.raises(Busy, match="another crosswalk run is using .*crosswalk.duckdb"):
            with warehouse.open_writer(settings, wait_seconds=0.5):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_open_writer_waits_for_the_other_run_to_finish(settings):
    warehouse.connect(settings).close()
    holder = hold_database(settings, 1.0)
    try:
        with warehouse.open_writer(settings, wait_seconds=20) as con:
            assert con.execute("SELECT count(*) FROM load_runs").fetchone() == (0,)
        assert holder.wait(timeout=5) == 0  # we got in only after it let go
    finally:
        holder.kill()
