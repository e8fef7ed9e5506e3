"""`newsroom-archive backup`: a consistent, verified copy while a writer and a reader are busy."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from newsroom_scraper.items import Article
from newsroom_scraper.ops.backup import BackupError, backup
from newsroom_scraper.store import verify_file

NEWS = "https://www.dortmund.de/newsroom/nachrichten-dortmund.de/"


def harbour_articles(count: int) -> list[Article]:
    return [
        Article(
            url=f"{NEWS}hafen-{number}.html",
            title=f"Hafenfest {number}",
            published_at="2026-03-01",
            layout="dtm-2023",
            body_text="Der Hafen feiert Geburtstag.",
        )
        for number in range(count)
    ]


def test_a_backup_during_a_write_holds_what_was_committed_and_verifies(tmp_path, archive_of):
    db, copy = tmp_path / "newsroom.db", tmp_path / "backups" / "newsroom-2026-03-02.db"
    archive_of(db, harbour_articles(3), "2026-03-02T08:00:00+00:00")
    with closing(sqlite3.connect(db)) as reader, closing(sqlite3.connect(db)) as writer:
        reader.execute("BEGIN")
        assert reader.execute("select count(*) from articles").fetchone() == (3,)  # a reader mid-read
        writer.execute("BEGIN IMMEDIATE")  # a crawl mid-transaction
        writer.execute("update articles set title = 'halb geschrieben' where id = 1")
        lines: list[str] = []
        summary = backup(db, copy, say=lines.append)
        writer.rollback()
    assert summary.startswith(f"Backup {copy}: 3 articles, 3 versions, 1 runs,") and "verified" in summary
    assert len(lines) == 2  # progress: copying, checking
    with closing(sqlite3.connect(copy)) as restored:  # the stdlib's SQLite opens it, search included
        assert restored.execute("pragma journal_mode").fetchone() == ("delete",)
        assert "halb geschrieben" not in {title for (title,) in restored.execute("select title from articles")}
        hits = restored.execute("select count(*) from articles_fts where articles_fts match 'geburtstag'").fetchone()
        assert hits == (3,)
    assert not list(copy.parent.glob("*.partial"))


def test_a_damaged_copy_does_not_verify(tmp_path, archive_of):
    db = tmp_path / "newsroom.db"
    archive_of(db, harbour_articles(30), "2026-03-02T08:00:00+00:00")
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("pragma wal_checkpoint(truncate)")
    damaged = tmp_path / "damaged.db"
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    data[3 * page : 6 * page] = b"\xff" * (3 * page)  # three pages of the b-trees overwritten
    damaged.write_bytes(bytes(data))
    with pytest.raises(sqlite3.DatabaseError):
        verify_file(damaged)


def test_a_backup_that_does_not_verify_leaves_nothing(tmp_path, monkeypatch, archive_of):
    import newsroom_scraper.ops.backup as module

    db = tmp_path / "newsroom.db"
    archive_of(db, harbour_articles(1), "2026-03-02T08:00:00+00:00")

    def damaged(path):
        raise sqlite3.DatabaseError("integrity_check: *** in database main ***")

    monkeypatch.setattr(module, "verify_file", damaged)
    with pytest.raises(BackupError):
        backup(db, tmp_path / "copy.db", say=lambda line: None)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == []


@pytest.mark.e2e
def test_the_command_refuses_to_overwrite_and_a_missing_archive(tmp_path, archive_of):
    db, copy = tmp_path / "newsroom.db", tmp_path / "copy.db"
    archive_of(db, harbour_articles(1), "2026-03-02T08:00:00+00:00")

    def command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "newsroom_scraper", "backup", *args], capture_output=True, text=True, timeout=60
        )

    assert command("--db", str(db), "--to", str(copy)).returncode == 0
    again = command("--db", str(db), "--to", str(copy))
    assert again.returncode == 2 and "exists" in again.stderr
    assert command("--db", str(db), "--to", str(copy), "--overwrite").returncode == 0
    missing = command("--db", str(tmp_path / "none.db"), "--to", str(copy))
    assert missing.returncode == 2 and missing.stderr == f"backup: {tmp_path / 'none.db'} does not exist\n"
