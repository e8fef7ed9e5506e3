#!/bin/sh
# Refuse to publish an archive smaller than the one published last (the GitHub Actions example
# runs this before it replaces the release asset): a failed download followed by a failed crawl
# once published an empty archive over a good one.
#   deploy/publish-guard.sh PUBLISHED_ARTICLES ARCHIVE.db
# Exit 0 when ARCHIVE.db holds at least PUBLISHED_ARTICLES articles (and at least one);
# exit 1, with one line on stderr, otherwise.
set -eu
published=${1:?usage: publish-guard.sh PUBLISHED_ARTICLES ARCHIVE.db}
db=${2:?usage: publish-guard.sh PUBLISHED_ARTICLES ARCHIVE.db}
count=$(python3 - "$db" <<'PY'
import sqlite3, sys
try:
    with sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True) as conn:
        print(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
except sqlite3.Error:
    print(0)
PY
)
if [ "$count" -lt 1 ] || [ "$count" -lt "$published" ]; then
    echo "publish-guard: refusing to publish $db: $count articles, the published archive has $published" >&2
    exit 1
fi
echo "publish-guard: $db: $count articles (published: $published)"
