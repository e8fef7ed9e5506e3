"""Every CLI failure is one line on stderr with the right exit code (2: could not start), a
traceback only with --debug (issue 17, 8): read-only folders and files, a full disk, a damaged
archive, an unexpected error."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsroom_scraper.cli import main
from newsroom_scraper.errors import ArchiveUnusable
from newsroom_scraper.store import Archive, check_archive

ROOT = Path(__file__).resolve().parents[1]
NOWHERE = "http://127.0.0.1:9/newsroom/"  # never asked: each command stops before its first request


def unprivileged_python() -> list[str]:
    """This code's Python as a user whom file permissions bind: ourselves, or (as root, whom they
    do not bind) the user nobody through setpriv; skips when there is no such way."""
    if os.geteuid() != 0:
        return [sys.executable]
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    path = os.pathsep.join([sysconfig.get_paths()["purelib"], str(ROOT)])
    for python in (sys.executable, f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"):
        command = [*drop, "env", f"PYTHONPATH={path}", "HOME=/tmp", python]
        if (
            subprocess.run([*command, "-c", "import newsroom_scraper.cli"], capture_output=True, cwd="/").returncode
            == 0
        ):
            return command
    pytest.skip("no Python that the user nobody may run")


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder anyone may enter (not tmp_path: only root may enter its parents)."""
    folder = Path(tempfile.mkdtemp())
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)
        shutil.rmtree(folder)


def newsroom_archive(python: list[str], *arguments: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*python, "-m", "newsroom_scraper", *arguments], capture_output=True, text=True, cwd="/", timeout=120, **kwargs
    )


def assert_one_line(done: subprocess.CompletedProcess, code: int, *expected: str) -> None:
    assert done.returncode == code, done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert all(text in done.stderr for text in expected), done.stderr


@pytest.mark.e2e  # runs the commands in child processes (as the user nobody, when root)
def test_a_read_only_folder_stops_each_writer_before_it_starts(open_folder: Path) -> None:
    """crawl into a read-only folder: exit 1 and a 31-line traceback; reparse and wayback alike."""
    python = unprivileged_python()
    folder = open_folder / "archive"
    folder.mkdir()
    Archive(folder / "a.db").close()
    (folder / "a.db").chmod(0o666)
    folder.chmod(0o555)
    warc = open_folder / "warc"
    warc.mkdir()
    for command in (
        ["crawl", "--start-url", NOWHERE],
        ["reparse", "--warc-dir", str(warc)],
        ["wayback", "--wayback-url", NOWHERE],
    ):
        done = newsroom_archive(python, *command, "--db", str(folder / "a.db"))
        assert_one_line(done, 2, f"{command[0]}: cannot create the lock file")
    new = newsroom_archive(python, "crawl", "--start-url", NOWHERE, "--db", str(folder / "new.db"))
    assert_one_line(new, 2, "crawl: cannot create the lock file")


@pytest.mark.e2e  # runs reparse as the user nobody, when root
def test_reparse_and_wayback_into_a_read_only_file_stop_in_one_line(open_folder: Path) -> None:
    """reparse into a read-only file ended in a traceback ("attempt to write a readonly database")."""
    python = unprivileged_python()
    db = open_folder / "a.db"
    Archive(db).close()
    db.chmod(0o444)
    (open_folder / "warc").mkdir()
    reparse = newsroom_archive(python, "reparse", "--warc-dir", str(open_folder / "warc"), "--db", str(db))
    assert_one_line(reparse, 2, f"reparse: {db} is read-only")
    wayback = newsroom_archive(python, "wayback", "--wayback-url", NOWHERE, "--db", str(db))
    assert_one_line(wayback, 2, f"wayback: {db} is read-only")


def _no_file_may_grow() -> None:
    """In the child: no file may grow (RLIMIT_FSIZE 0, writes beyond fail with EFBIG), as on a
    disk that is already full: files can be opened, and rewritten within their size, but not grown."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


@pytest.mark.e2e  # runs crawl in a child process
def test_a_crawl_on_a_full_disk_stops_before_it_starts_in_one_line(tmp_path: Path) -> None:
    """A new archive on a full disk: exit 1 and 136 lines of Scrapy's traceback; an existing one
    was called damaged."""
    python = [sys.executable]
    new = newsroom_archive(python, "crawl", "--start-url", NOWHERE, "--db", str(tmp_path / "new.db"),
                           preexec_fn=_no_file_may_grow)  # fmt: skip
    assert_one_line(new, 2, f"crawl: {tmp_path / 'new.db'} cannot be created", "is the disk full?")
    assert not (tmp_path / "new.db").exists()  # no empty file left to be taken for an archive
    Archive(tmp_path / "old.db").close()
    old = newsroom_archive(python, "crawl", "--start-url", NOWHERE, "--db", str(tmp_path / "old.db"),
                           preexec_fn=_no_file_may_grow)  # fmt: skip
    assert_one_line(old, 2, "cannot be opened", "is its disk full?")
    assert "damaged" not in old.stderr


def damaged_archive(path: Path) -> Path:
    """An archive whose quick_check finds a b-tree page it cannot read: a finding of several
    lines ("*** in database main ***\\nPage 3: btreeInitPage() returns error code 11")."""
    with Archive(path) as archive:
        run = archive.start_run("x", {})
        for n in range(200):
            archive.record_error(run, f"http://x/{n}", "http", "x" * 500)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sound = path.read_bytes()
    for page in range(1, len(sound) // 4096):
        data = bytearray(sound)
        data[page * 4096 + 3 : page * 4096 + 5] = b"\xff\xff"  # the page's number of cells
        path.write_bytes(bytes(data))
        with closing(sqlite3.connect(path)) as conn:
            try:
                found = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
            except sqlite3.DatabaseError:
                continue
        if any("\n" in line for line in found):
            return path
    raise AssertionError("no page whose damage quick_check reports in several lines")


def test_is_damaged_is_one_line(tmp_path: Path) -> None:
    """ "is damaged" spanned 5+ lines of quick_check's output."""
    path = damaged_archive(tmp_path / "damaged.db")
    with pytest.raises(ArchiveUnusable) as refused:
        check_archive(path)
    message = str(refused.value)
    assert "is damaged (*** in database main *** Page" in message and "\n" not in message


def test_an_unexpected_failure_is_one_line_and_its_traceback_only_with_debug(tmp_path: Path, monkeypatch) -> None:
    import newsroom_scraper.evidence.reparse as reparse_module

    def broken(*args, **kwargs):
        raise RuntimeError("something nobody expected\nacross two lines")

    monkeypatch.setattr(reparse_module, "reparse", broken)
    arguments = ["reparse", "--warc-dir", str(tmp_path), "--db", str(tmp_path / "a.db")]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1
    assert result.stderr == (
        "reparse: failed: RuntimeError: something nobody expected across two lines (--debug shows where)\n"
    )
    debugged = CliRunner().invoke(main, ["--debug", *arguments])
    assert isinstance(debugged.exception, RuntimeError)  # raised on: click's runner holds its traceback


@pytest.mark.e2e  # serves in a child process (as the user nobody, when root)
def test_serve_answers_from_a_read_only_folder(open_folder: Path) -> None:
    """serve on a read-only folder answered 500 on every page with no hint (WAL's -shm could not
    be made): the archive is served immutable. Checked with real permissions, -wal/-shm left by a
    writer beside the file (root's, not writable) and without them."""
    import socket

    python = unprivileged_python()
    folder = open_folder / "archive"
    folder.mkdir()
    db = folder / "a.db"
    Archive(db).close()
    for leftovers in (False, True):
        if leftovers:
            (folder / "a.db-wal").write_bytes(b"")
            (folder / "a.db-shm").write_bytes(b"")
        folder.chmod(0o555)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [*python, "-m", "newsroom_scraper", "serve", "--db", str(db), "--port", str(port)]
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd="/") as server:
            try:
                assert server.stdout is not None and "Serving the archive" in server.stdout.readline()
                for path in ("/newsroom/articles.json", "/newsroom/crawl_runs", "/newsroom.json?sql=select+1"):
                    assert answered(f"http://127.0.0.1:{port}{path}") == 200, path
            finally:
                server.terminate()
                server.wait(timeout=30)
                folder.chmod(0o777)


def answered(url: str) -> int:
    """The status of ``url``, asked again while the server does not listen yet (for at most ~5 s)."""
    import time
    import urllib.error
    import urllib.request

    for _ in range(50):
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return error.code
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError):
                raise
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}")
