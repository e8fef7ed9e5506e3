"""Applied migrations never change: each builds exactly what it built when it landed.

``tests/snapshots/migrations.sql`` holds, migration by migration in the order they apply, the
schema objects each one creates or changes (SQL as SQLite stores it) and the FTS rank settings.
A new migration adds a section: write it with ``python tests/test_migrations.py`` and review the
diff. An edited migration (or one reading a module constant that changed) fails here, named.
"""

from __future__ import annotations

import sys
from pathlib import Path

import sqlite_utils

from newsroom_scraper.store.schema import MIGRATIONS

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "migrations.sql"


def _schema(db: sqlite_utils.Database) -> dict[str, str]:
    objects = {
        f"{kind} {name}": sql
        for kind, name, sql in db.execute("select type, name, sql from sqlite_master where sql is not null")
    }
    for (table,) in db.execute("select name from sqlite_master where name like '%_config' and type = 'table'"):
        for key, value in db.execute(f"select k, v from [{table}]"):
            objects[f"config {table}.{key}"] = str(value)
    return objects


def sections() -> dict[str, str]:
    """Each migration's name and what it adds or changes in the schema, applied in order."""
    db = sqlite_utils.Database(memory=True)
    found: dict[str, str] = {}
    before: dict[str, str] = {}
    for migration in MIGRATIONS._migrations:  # sqlite-utils' own list, in the order it applies them
        migration.fn(db)
        after = _schema(db)
        changed = {key: sql for key, sql in sorted(after.items()) if before.get(key) != sql}
        gone = sorted(key for key in before if key not in after)
        found[migration.name] = "".join(f"-- {key}\n{sql};\n" for key, sql in changed.items()) + "".join(
            f"-- dropped {key}\n" for key in gone
        )
        before = after
    return found


def render(found: dict[str, str]) -> str:
    return "".join(f"==== {name}\n{body}\n" for name, body in found.items())


def parse(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in text.split("==== ")[1:]:
        name, _, body = chunk.partition("\n")
        found[name] = body[:-1] if body.endswith("\n") else body
    return found


def test_every_applied_migration_builds_what_it_built_when_it_landed():
    stored = parse(SNAPSHOT.read_text(encoding="utf-8"))
    built = sections()
    assert list(built)[: len(stored)] == list(stored), "migrations were renamed, removed or reordered"
    changed = [name for name in stored if built[name] != stored[name]]
    assert not changed, f"applied migration(s) changed: {changed} — add a new migration instead"
    new = [name for name in built if name not in stored]
    assert not new, f"new migration(s) {new}: record them with `python tests/test_migrations.py`"


def test_the_snapshot_names_each_migration_once():
    names = [line[5:] for line in SNAPSHOT.read_text(encoding="utf-8").splitlines() if line.startswith("==== ")]
    assert names and len(names) == len(set(names)) and names[0] == "0001_initial_schema"


if __name__ == "__main__":  # python tests/test_migrations.py: record the new migrations' sections
    stored = parse(SNAPSHOT.read_text(encoding="utf-8")) if SNAPSHOT.exists() else {}
    built = sections()
    kept = {name: stored.get(name, body) for name, body in built.items()}
    SNAPSHOT.write_text(render(kept), encoding="utf-8")
    print(f"{SNAPSHOT}: {len(kept)} migrations ({len(kept) - len(stored)} new)", file=sys.stderr)
