#!/bin/sh
# Close a month of evidence: bundle the WARC files the crawls wrote in MONTH (default: last
# month) into backups/warc/newsroom-warc-MONTH.tar with a .sha256 beside it, and check both.
# The files themselves stay in archive/warc/: the archive's captures name them (reparse and
# replay read them there). Run from the checkout, by deploy/newsroom-archive-warc-month.service
# on the 1st of each month; again for a month is harmless (an intact bundle is kept as it is).
#   deploy/warc-month.sh [YYYY-MM] [WARC_DIR] [BACKUP_DIR]
set -eu
month=${1:-$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)}
warc=${2:-archive/warc}
out=${3:-backups/warc}
case $month in
    [0-9][0-9][0-9][0-9]-[0-9][0-9]) ;;
    *) echo "warc-month: not a month: $month (YYYY-MM)" >&2; exit 2 ;;
esac
stamp=$(echo "$month" | tr -d -)
bundle="$out/newsroom-warc-$month.tar"
mkdir -p "$out"
# The crawl names its files <prefix>-<UTC start of the run, YYYYmmddHHMMSS>-<serial>.warc.gz
files=$(cd "$warc" && find . -maxdepth 1 -name "*-$stamp[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-*.warc.gz" | sed 's|^\./||' | sort)
if [ -z "$files" ]; then
    echo "warc-month: no WARC files of $month in $warc"
    exit 0
fi
if [ -f "$bundle" ] && [ -f "$bundle.sha256" ] && (cd "$out" && sha256sum --check --quiet "$(basename "$bundle").sha256"); then
    echo "warc-month: $bundle is already there and intact"
    exit 0
fi
# shellcheck disable=SC2086  # the names hold no spaces (the crawl writes them)
tar --create --file "$bundle.partial" --directory "$warc" $files
listed=$(tar --list --file "$bundle.partial" | sort)
if [ "$listed" != "$files" ]; then
    echo "warc-month: $bundle.partial does not hold every file of $month" >&2
    exit 1
fi
mv "$bundle.partial" "$bundle"
(cd "$out" && sha256sum "$(basename "$bundle")" > "$(basename "$bundle").sha256")
echo "warc-month: $bundle: $(echo "$files" | wc -l) files, $(du -h "$bundle" | cut -f1)"
