#!/bin/sh
# Close a month of evidence: pack the WARC files the crawls wrote in MONTH (default: last month)
# as a signed WACZ (`newsroom-archive export-wacz`: the files, their index, one page per article
# capture, SHA-256 of every member, docs/archival.md) into backups/wacz/, with a .sha256 of the
# package beside it, and check it. The WARC files themselves stay in archive/warc/: the archive's
# captures name them (reparse and replay read them there). Run from the checkout, by
# deploy/newsroom-archive-warc-month.service on the 1st of each month; running it again for a
# month is harmless (an up-to-date package is kept as it is).
#   deploy/warc-month.sh [YYYY-MM] [DB] [OUT_DIR]
# NEWSROOM_ARCHIVE: the command (default .venv/bin/newsroom-archive).
set -eu
month=${1:-$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)}
db=${2:-archive/newsroom.db}
out=${3:-backups/wacz}
case $month in
    [0-9][0-9][0-9][0-9]-[0-9][0-9]) ;;
    *) echo "warc-month: not a month: $month (YYYY-MM)" >&2; exit 2 ;;
esac
warc="$(dirname "$db")/warc"
stamp=$(echo "$month" | tr -d -)
if ! ls "$warc"/newsroom-"$stamp"[0-9]*-[0-9]*.warc.gz >/dev/null 2>&1; then
    echo "warc-month: no WARC files of $month in $warc"
    exit 0
fi
mkdir -p "$out"
# shellcheck disable=SC2086  # NEWSROOM_ARCHIVE may be a command with arguments
${NEWSROOM_ARCHIVE:-.venv/bin/newsroom-archive} export-wacz --db "$db" --warc-dir "$warc" --month "$month" --out "$out"
package="newsroom-$month.wacz"
(cd "$out" && sha256sum "$package" > "$package.sha256" && sha256sum --check --quiet "$package.sha256")
echo "warc-month: $out/$package and $package.sha256"
