#!/bin/sh
# Copy the evidence and the backups off this machine (a disk that dies takes its backups with it):
# the daily database backups, the monthly WACZ packages, the WARC files written since, and the
# WACZ signing key pair (archive/wacz-signing-key.pem*: without it, later packages carry another key).
# Nothing is deleted at the destination. Settings, in /etc/newsroom-archive/offsite.env:
#   OFFSITE_RSYNC=backup@backup-host:/srv/backups/newsroom-archive   rsync over SSH (the key of
#                                                                     the user newsroom), or
#   OFFSITE_RCLONE=remote:bucket/newsroom-archive                     rclone (S3, B2, WebDAV, …;
#                                                                     `rclone config` as newsroom)
# Run from the checkout, by deploy/newsroom-archive-offsite.service after the daily backup.
set -eu
if [ -n "${OFFSITE_RSYNC:-}" ]; then
    rsync --archive --partial backups/ "$OFFSITE_RSYNC/backups/"
    rsync --archive --partial --include='*.warc.gz' --exclude='*' archive/warc/ "$OFFSITE_RSYNC/warc/"
    rsync --archive archive/wacz-signing-key.pem* "$OFFSITE_RSYNC/key/" 2>/dev/null || true  # made on the first export
elif [ -n "${OFFSITE_RCLONE:-}" ]; then
    rclone copy backups "$OFFSITE_RCLONE/backups"
    rclone copy --include '*.warc.gz' archive/warc "$OFFSITE_RCLONE/warc"
    rclone copy --include 'wacz-signing-key.pem*' archive "$OFFSITE_RCLONE/key"
else
    echo "offsite: set OFFSITE_RSYNC or OFFSITE_RCLONE in /etc/newsroom-archive/offsite.env" >&2
    exit 1
fi
