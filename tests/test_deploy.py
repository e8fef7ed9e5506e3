"""deploy/: the install steps in their order, the units, the alert, the WARC bundles, the publish guard (issue 18, 5 and 6)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from newsroom_scraper.evidence.warc import Exchange, WarcWriter
from newsroom_scraper.store import Archive

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def install_steps(path: Path) -> list[str]:
    """The commands of the first ```console block after "useradd" appears (continuations joined)."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    block = next(b for b in re.findall(r"```console\n(.*?)```", text, re.S) if "useradd" in b)
    return [line[2:].strip() for line in block.splitlines() if line.startswith("$ ")]


@pytest.mark.parametrize("page", ["deploy/README.md", "docs/operations.md"])
def test_the_steps_make_a_home_and_run_the_first_crawl_before_any_timer(page):
    steps = install_steps(ROOT / page)
    where = {name: next(i for i, s in enumerate(steps) if re.search(pattern, s)) for name, pattern in PATTERNS.items()}
    user = steps[where["useradd"]]
    assert "--create-home" in user or re.search(r"\s-m\b", user)
    owned = [s for s in steps[: where["clone"]] if re.search(r"install -d -o newsroom .*/srv/newsroom-archive", s)]
    assert owned, "the folder git clone writes to must exist and belong to newsroom"
    assert where["first crawl"] < where["enable timers"], "the first (five-hour) crawl runs before the timers"
    assert where["test alert"] < where["enable timers"] and where["verify"] < where["enable timers"]
    enabled = steps[where["enable timers"]]
    for timer in sorted(DEPLOY.glob("*.timer")):
        assert timer.name in enabled


PATTERNS = {
    "useradd": r"^sudo useradd",
    "clone": r"^sudo -u newsroom git clone",
    "first crawl": r"newsroom-archive crawl .*--jobdir",
    "test alert": r"systemctl start newsroom-archive-alert@test",
    "verify": r"systemd-analyze verify",
    "enable timers": r"systemctl enable --now .*\.timer",
}


def test_timers_name_their_time_zone_and_cron_does_not_rely_on_cron_tz():
    for timer in DEPLOY.glob("*.timer"):
        calendars = re.findall(r"^OnCalendar=(.*)$", timer.read_text(), re.M)
        assert calendars and all(c.endswith(" Europe/Berlin") for c in calendars), timer.name
    jobs = [line for line in (DEPLOY / "crontab").read_text().splitlines() if re.match(r"^[\d*]", line)]
    assert not re.search(r"^CRON_TZ=", (DEPLOY / "crontab").read_text(), re.M)  # Debian's cron ignores it
    assert len(jobs) == 5 and all("TZ=Europe/Berlin date" in job for job in jobs)


def test_every_unit_that_runs_work_alerts_on_failure():
    for unit in DEPLOY.glob("newsroom-archive-*.service"):
        text = unit.read_text()
        if unit.name.startswith(("newsroom-archive-alert@", "newsroom-archive-serve")):
            continue
        assert "OnFailure=newsroom-archive-alert@%n.service" in text, unit.name
    alert = (DEPLOY / "newsroom-archive-alert@.service").read_text()
    assert "ExecStart=/srv/newsroom-archive/deploy/alert.sh %i" in alert and "| mail" not in alert


@pytest.mark.e2e
def test_the_units_pass_systemd_analyze_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (apt install systemd)")
    checkout = tmp_path / "srv"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    shutil.copytree(DEPLOY, checkout / "deploy")
    program = checkout / ".venv" / "bin" / "newsroom-archive"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for unit in [*DEPLOY.glob("*.service"), *DEPLOY.glob("*.timer")]:
        (units / unit.name).write_text(unit.read_text().replace("/srv/newsroom-archive", str(checkout)))
    names = sorted(p.name for p in units.iterdir())
    done = subprocess.run(["systemd-analyze", "verify", *names], cwd=units, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(names) == 12


# -- alert.sh ----------------------------------------------------------------------------------


class _Webhook(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Webhook.received.append((self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_systemctl(tmp_path):
    """A PATH whose `systemctl status UNIT` prints what a failed unit's status prints (and exits 3)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    systemctl = bin_dir / "systemctl"
    systemctl.write_text(
        '#!/bin/sh\necho "x $4 - crawl\n   Active: failed (Result: exit-code)\n  run report: 3 alerts"\nexit 3\n'
    )
    systemctl.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


@pytest.mark.e2e
def test_the_alert_reaches_a_webhook_plain_or_as_json_and_fails_loudly_without_one(fake_systemctl):
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    _Webhook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/newsroom-archive"
        script = [str(DEPLOY / "alert.sh"), "newsroom-archive-crawl.service"]
        for extra in ({}, {"ALERT_WEBHOOK_JSON": "1"}):
            env = {**fake_systemctl, "ALERT_WEBHOOK": url, **extra}
            done = subprocess.run(script, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        (plain_type, plain), (json_type, as_json) = _Webhook.received
        assert plain_type.startswith("text/plain") and b"newsroom-archive-crawl.service failed on" in plain
        assert b"Active: failed" in plain and json_type == "application/json"
        assert json.loads(as_json)["text"] == plain.decode()
        env = {k: v for k, v in fake_systemctl.items() if not k.startswith("ALERT_")}
        unsent = subprocess.run(script, env=env, capture_output=True, text=True)
        assert unsent.returncode == 1 and "NOT SENT" in unsent.stderr
        refused = subprocess.run(
            script, env={**env, "ALERT_WEBHOOK": "http://127.0.0.1:1/"}, capture_output=True, text=True
        )
        assert refused.returncode == 1 and "NOT SENT" in refused.stderr
    finally:
        server.shutdown()
        server.server_close()


# -- warc-month.sh -----------------------------------------------------------------------------


@pytest.mark.e2e
def test_last_months_warc_files_are_packed_as_a_wacz_with_a_checksum_and_stay_in_place(tmp_path):
    db = tmp_path / "archive" / "newsroom.db"
    db.parent.mkdir()
    Archive(db).close()  # an archive with its schema (the WACZ's pages come from its versions)
    warc, out = tmp_path / "archive" / "warc", tmp_path / "backups" / "wacz"
    runs = {"20261031223000": 1, "20261101033000": 1, "20261130033000": 2, "20261201033000": 1}
    for started, files in runs.items():
        writer = WarcWriter(warc, started=started, max_size=1 if files > 1 else 10**9)
        for n in range(files):
            moment = f"{started[:4]}-{started[4:6]}-{started[6:8]}T03:30:0{n}+00:00"
            writer.write_exchange(Exchange("http://127.0.0.1:1/newsroom/a.html", "GET", [], b"", 200, [], b"x", moment))
        writer.finish()
    names = sorted(p.name for p in warc.glob("*.warc.gz"))
    command = [str(DEPLOY / "warc-month.sh"), "2026-11", str(db), str(out)]
    env = {**os.environ, "NEWSROOM_ARCHIVE": f"{sys.executable} -m newsroom_scraper"}
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    package = out / "newsroom-2026-11.wacz"
    with zipfile.ZipFile(package) as wacz:
        packed = sorted(Path(n).name for n in wacz.namelist() if n.startswith("archive/"))
    assert packed == names[1:4]  # November's three files, not October's or December's
    check = subprocess.run(["sha256sum", "--check", package.name + ".sha256"], cwd=out, capture_output=True)
    assert check.returncode == 0 and sorted(p.name for p in warc.glob("*.warc.gz")) == names
    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert subprocess.run([*command[:1], "November", *command[2:]], capture_output=True).returncode == 2
    empty = subprocess.run([command[0], "2025-01", *command[2:]], capture_output=True, text=True, env=env)
    assert empty.returncode == 0 and "no WARC files of 2025-01" in empty.stdout


# -- the GitHub Actions example and publish-guard.sh ----------------------------------------


def archive_with(path: Path, articles: int) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, url TEXT)")
        conn.executemany("INSERT INTO articles (url) VALUES (?)", [(f"u{n}",) for n in range(articles)])
    conn.close()
    return path


@pytest.mark.e2e
def test_the_guard_refuses_to_publish_a_smaller_or_empty_archive(tmp_path):
    guard = str(DEPLOY / "publish-guard.sh")

    def run(published: str, db: Path) -> subprocess.CompletedProcess:
        return subprocess.run([guard, published, str(db)], capture_output=True, text=True)

    assert run("300", archive_with(tmp_path / "same.db", 300)).returncode == 0
    assert run("300", archive_with(tmp_path / "more.db", 301)).returncode == 0
    smaller = run("300", archive_with(tmp_path / "less.db", 299))
    assert smaller.returncode == 1 and "refusing" in smaller.stderr
    assert run("0", archive_with(tmp_path / "empty.db", 0)).returncode == 1
    assert run("0", tmp_path / "missing.db").returncode == 1
    assert run("", archive_with(tmp_path / "any.db", 5)).returncode != 0  # no published count: no upload


def test_the_workflow_keeps_warc_and_publishes_only_through_the_guard():
    workflow = yaml.safe_load((DEPLOY / "github-actions-crawl.yml").read_text())
    steps = workflow["jobs"]["crawl"]["steps"]
    scripts = [step.get("run", "") for step in steps]
    download = next(s for s in scripts if "gh release download archive" in s)
    assert "|| echo" not in download and "PUBLISHED_ARTICLES" in download  # a failed download stops the job
    publish = next(s for s in scripts if "gh release upload archive" in s)
    assert publish.index("deploy/publish-guard.sh") < publish.index("gh release upload archive")
    warc = next(s for s in scripts if "archive/warc/" in s)
    assert "warc-$(date -u +%Y-%m)" in warc and "gh release upload" in warc and "--clobber" not in warc
