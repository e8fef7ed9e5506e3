#!/bin/sh
# Tell a person that a newsroom-archive unit failed: deploy/newsroom-archive-alert@.service runs
# this with the failed unit's name (OnFailure= of the crawl, the weekly walk, the backup, the
# monthly WACZ of the WARC files and the off-machine copy). Settings, in /etc/newsroom-archive/alert.env:
#   ALERT_WEBHOOK=https://ntfy.sh/<a-long-random-topic>  POST the text there with curl (ntfy, or any
#                                                        endpoint that takes a plain-text body)
#   ALERT_WEBHOOK_JSON=1                                 send {"text": …} instead (Slack, Mattermost,
#                                                        Rocket.Chat, Matrix hookshot incoming webhooks)
#   ALERT_TO=operator@example.org                        also mail it (needs `mail` and a relay)
# Exit 1 (and a line in the journal) when nothing could be sent, so a broken alert path shows
# in `systemctl --failed`. Try it: sudo systemctl start newsroom-archive-alert@test.service
set -u
unit=${1:?usage: alert.sh UNIT}
subject="newsroom-archive: $unit failed on $(hostname)"
# systemctl status exits 3 for a failed unit: the text is what matters
text=$(systemctl status --no-pager --lines=40 "$unit" 2>&1)
body=$(printf '%s\n\n%s\n' "$subject" "$text")
sent=0

if [ -n "${ALERT_WEBHOOK:-}" ]; then
    if [ -n "${ALERT_WEBHOOK_JSON:-}" ]; then
        payload=$(printf '%s' "$body" | python3 -c 'import json, sys; print(json.dumps({"text": sys.stdin.read()}))')
        type="application/json"
    else
        payload=$body
        type="text/plain; charset=utf-8"
    fi
    if printf '%s' "$payload" | curl --fail --silent --show-error --max-time 30 --retry 3 \
        -H "Content-Type: $type" -H "Title: $subject" --data-binary @- "$ALERT_WEBHOOK" >/dev/null; then
        sent=1
    else
        echo "alert: the webhook did not take the alert ($ALERT_WEBHOOK)" >&2
    fi
fi

if [ -n "${ALERT_TO:-}" ]; then
    if ! command -v mail >/dev/null 2>&1; then
        echo "alert: ALERT_TO is set but there is no mail command (apt install bsd-mailx, and a relay)" >&2
    elif printf '%s\n' "$text" | mail -s "$subject" "$ALERT_TO"; then
        sent=1
    fi
fi

if [ "$sent" != 1 ]; then
    echo "alert: NOT SENT: $subject (set ALERT_WEBHOOK or ALERT_TO in /etc/newsroom-archive/alert.env)" >&2
    exit 1
fi
