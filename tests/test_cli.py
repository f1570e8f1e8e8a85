"""The `crosswalk` command as a user types it: exit codes and messages at the edges.

Real parts: the CMS-shaped mirror on 127.0.0.1, real folders (read-only ones through a real
process without the right to override file permissions), real DuckDB files. `download` has
its own module (test_cli_download.py); `run` end to end is in test_pipeline.py and
test_flows.py.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crosswalk import warehouse
from crosswalk.cli import main
from crosswalk.settings import Settings

CROSSWALK = Path(sys.executable).with_name("crosswalk")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def everything_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


# ---------------------------------------------------------------------------------------------
# A data directory that cannot be written: exit 2, the path, what to do; nothing started


def commands(cms_url: str, data_dir: str) -> dict[str, list[str]]:
    """Every command that writes under the data directory."""
    common = ["--data-dir", data_dir]
    return {
        "run": ["run", "--no-prefect", "--quarter", "2025Q4", "--cms-url", cms_url, *common],
        "run-with-prefect": ["run", "--quarter", "2025Q4", "--cms-url", cms_url, *common],
        "download": ["download", "--cms-url", cms_url, *common],
        "load": ["load", "--all", *common],
        "backfill": ["backfill", "--no-prefect", *common],
        "report": ["report", *common],
        "serve": ["serve", "--cms-url", cms_url, *common],
    }


WRITERS = ("run", "run-with-prefect", "download", "serve")
READERS = ("load", "backfill", "report")  # nothing to read there: refused for that


@pytest.mark.parametrize("command", WRITERS + READERS)
@pytest.mark.parametrize("case", ["dev-null", "under-a-file"])
def test_a_data_directory_that_is_not_a_folder_exits_2_naming_it(cms_mirror, tmp_path, case,
                                                                  command):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file, not a folder")
    data_dir = {"dev-null": "/dev/null", "under-a-file": str(a_file / "data")}[case]

    result = invoke(*commands(cms_mirror.base_url, data_dir)[command])

    assert result.exit_code == 2, result.output
    assert len(result.output.splitlines()) == 1 and data_dir in result.output
    if command in WRITERS:
        assert f"error: {data_dir}: cannot write here: " in result.output
        assert "give another --data-dir" in result.output
    assert cms_mirror.requests_log == []  # refused before CMS was asked anything
    assert a_file.read_text() == "a file, not a folder"


def without_file_permission_override() -> list[str]:
    """A prefix that runs a command unable to override file permissions: root's
    CAP_DAC_OVERRIDE dropped (as root a read-only folder is otherwise writable)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be simulated")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]


@pytest.mark.parametrize("command", ["run", "run-with-prefect", "download", "load"])
def test_a_read_only_data_directory_exits_2_naming_it(cms_mirror, tmp_path, command):
    cms_mirror.publish_quarter("2025Q4")
    data_dir = tmp_path / "data"
    assert invoke("download", "--quarter", "2025Q4", "--cms-url", cms_mirror.base_url,
                  "--data-dir", str(data_dir)).exit_code == 0  # a release waiting to be loaded
    before = everything_under(data_dir)
    cms_mirror.clear_log()
    read_only = stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP
    folders = [data_dir, *(p for p in data_dir.rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(read_only)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PREFECT_", "CROSSWALK_"))} | {"HOME": str(tmp_path)}
    try:
        result = subprocess.run(
            [*without_file_permission_override(), str(CROSSWALK),
             *commands(cms_mirror.base_url, str(data_dir))[command]],
            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    finally:
        for folder in folders:
            folder.chmod(stat.S_IRWXU)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {data_dir}: cannot write here: permission denied")
    assert "--data-dir" in result.stderr and "Traceback" not in result.stderr
    assert everything_under(data_dir) == before
    assert cms_mirror.requests_log == []


# ---------------------------------------------------------------------------------------------
# `crosswalk match` with nothing loaded creates nothing and names a real command


def test_match_with_nothing_anywhere_creates_nothing_and_says_crosswalk_run(tmp_path):
    data_dir = tmp_path / "empty" / "data"
    (tmp_path / "empty").mkdir()

    result = invoke("match", "--data-dir", str(data_dir))

    assert result.exit_code == 2
    assert f"run `crosswalk run --data-dir {data_dir}` first" in result.output
    assert everything_under(tmp_path / "empty") == []


def test_match_with_a_downloaded_release_names_the_load_command_for_it(cms_mirror, tmp_path):
    cms_mirror.publish_quarter("2025Q3")
    cms_mirror.publish_quarter("2025Q4")
    data_dir = tmp_path / "data"
    for quarter in ("2025Q3", "2025Q4"):
        assert invoke("download", "--quarter", quarter, "--cms-url", cms_mirror.base_url,
                      "--data-dir", str(data_dir)).exit_code == 0
    before = everything_under(data_dir)

    newest = invoke("match", "--data-dir", str(data_dir))
    asked = invoke("match", "--quarter", "2025Q3", "--data-dir", str(data_dir))
    missing = invoke("match", "--quarter", "2024Q1", "--data-dir", str(data_dir))

    assert f"run `crosswalk load --quarter 2025Q4 --data-dir {data_dir}` first" in newest.output
    assert f"run `crosswalk load --quarter 2025Q3 --data-dir {data_dir}` first" in asked.output
    assert f"run `crosswalk run --quarter 2024Q1 --data-dir {data_dir}` first" in missing.output
    assert {newest.exit_code, asked.exit_code, missing.exit_code} == {2}
    assert everything_under(data_dir) == before  # no database created


def test_match_against_a_database_without_a_release_names_the_load_command(tmp_path,
                                                                            cms_mirror):
    cms_mirror.publish_quarter("2025Q4")
    settings = Settings(data_dir=tmp_path / "data")
    assert invoke("download", "--quarter", "2025Q4", "--cms-url", cms_mirror.base_url,
                  "--data-dir", str(settings.data_dir)).exit_code == 0
    warehouse.connect(settings).close()  # a database with no release in it

    result = invoke("match", "--data-dir", str(settings.data_dir))

    assert result.exit_code == 2
    assert "no HCPCS release is loaded: run `crosswalk load --quarter 2025Q4 --data-dir" \
        in result.output


def test_a_file_system_error_mid_command_exits_2_naming_the_path(cms_mirror, tmp_path):
    """What no check can foresee (a disk filling up, a file where a folder should be) still
    ends in one line naming the path, not a traceback."""
    cms_mirror.publish_quarter("2025Q4")
    data_dir = tmp_path / "data"
    assert invoke("run", "--no-prefect", "--quarter", "2025Q4", "--cms-url", cms_mirror.base_url,
                  "--data-dir", str(data_dir)).exit_code == 0
    shutil.rmtree(data_dir / "reports")
    (data_dir / "reports").write_text("not a folder")

    result = invoke("report", "--data-dir", str(data_dir))

    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1].startswith(f"error: {data_dir / 'reports'}")
    assert "cannot write here" in result.output and "Traceback" not in result.output
