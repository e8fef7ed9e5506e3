"""The `newsroom-archive parse` command: one JSON object on stdout, or one line on stderr and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from newsroom_replica.expected import expected
from newsroom_replica.markup import render_article
from newsroom_replica.samples import sample_pages
from newsroom_scraper.cli import main


def test_parse_prints_one_utf8_json_object(tmp_path):
    page = sample_pages()["quotes-and-non-ascii-slug"]
    path = tmp_path / "page.html"
    path.write_text(render_article(page), encoding="utf-8")
    result = CliRunner().invoke(main, ["parse", str(path)])
    assert result.exit_code == 0
    assert "„Grün in der Stadt" in result.output  # not ASCII-escaped
    assert json.loads(result.output) == expected(page)


def test_parse_reads_stdin_and_uses_url_without_canonical():
    page = sample_pages()["date-only-no-tags"]
    html = "\n".join(line for line in render_article(page).split("\n") if "canonical" not in line)
    result = CliRunner().invoke(
        main, ["parse", "-", "--url", "https://www.dortmund.de/newsroom/x.html"], input=html.encode()
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["url"] == "https://www.dortmund.de/newsroom/x.html"


@pytest.mark.e2e
def test_not_an_article_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "empty.html"
    path.write_bytes(b"")
    completed = subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "parse", str(path)], capture_output=True, text=True
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == f"{path}: not an article page: empty: the page has no content\n"


@pytest.mark.e2e
def test_truncated_page_from_stdin(tmp_path):
    html = render_article(sample_pages()["full-summer-news"]).encode()
    completed = subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "parse", "-"], input=html[: len(html) // 2], capture_output=True
    )
    assert completed.returncode == 2
    assert completed.stderr.decode().startswith("-: not an article page: truncated")
    assert b"Traceback" not in completed.stderr


def every_command() -> dict[str, click.Command]:
    """The product's commands and those plugins add (the replica's), as `newsroom-archive --help` lists them."""
    ctx = click.Context(main)
    commands = {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}
    return {name: command for name, command in commands.items() if command is not None}


def test_every_command_has_help_and_is_in_the_readme():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    commands = every_command()
    assert {"parse", "crawl", "status", "serve", "replica", "demo"} <= set(commands)
    for name, command in commands.items():
        assert command.help, f"{name} has no help text"
        assert f"newsroom-archive {name}" in readme, f"README.md does not show `newsroom-archive {name}`"


def option_names(command: click.Command) -> set[str]:
    return {name for param in command.params for name in param.opts if name.startswith("--")}


@pytest.mark.e2e
def test_the_replica_commands_keep_their_names_and_options():
    """Scripts outside the suite call them: the plugin must offer what the built-in commands did (and may add)."""
    commands = every_command()
    kept = {"--port", "--articles", "--seed", "--host", "--no-sitemap", "--require-cookie", "--log"}
    assert kept <= option_names(commands["replica"])  # options may be added, never taken away
    added = {"--fail-rate", "--throttle-rate", "--timeout-rate", "--truncate-rate", "--hang"}  # issue 9: faults
    added |= {"--search-down", "--changed-markup"}  # issue 10: what doctor is tested against
    assert added <= option_names(commands["replica"])
    assert option_names(commands["demo"]) == {"--port", "--articles", "--db"}
    completed = subprocess.run(
        [sys.executable, "-m", "newsroom_scraper", "replica", "--help"], capture_output=True, text=True
    )
    assert completed.returncode == 0 and "--require-cookie" in completed.stdout


def test_a_plugin_that_fails_to_load_leaves_the_other_commands_working(monkeypatch):
    from importlib.metadata import EntryPoint

    from newsroom_scraper import cli

    broken = EntryPoint("broken", "newsroom_no_such_module:command", cli.PLUGIN_GROUP)
    monkeypatch.setattr(cli, "plugin_commands", lambda: {"broken": broken})
    result = CliRunner().invoke(main, ["broken"])
    assert result.exit_code == 2 and "cannot load 'broken'" in result.output
    assert CliRunner().invoke(main, ["status", "--help"]).exit_code == 0
