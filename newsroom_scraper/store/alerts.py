"""Alerts that stay on (issue 18, 2): a drift condition (ops/drift.py) becomes one ``alerts`` row
when a run first raises it, and is repeated by every run after it, until a run sees it cleared or an
operator acknowledges it (``newsroom-archive ack ID``). A crawl with an alert neither cleared nor
acknowledged exits 3 (``EXIT_DRIFT``), every night."""

from __future__ import annotations

from typing import Any

from newsroom_scraper.store.base import ArchiveBase


class Alerts(ArchiveBase):
    """``alerts``: one row per condition, from the run that raised it to the run that cleared it."""

    def open_alerts(self) -> list[dict[str, Any]]:
        """Alerts not cleared (acknowledged ones too: they are quiet, not gone), oldest first."""
        return self._rows("SELECT * FROM alerts WHERE cleared_at IS NULL ORDER BY id")

    def get_alert(self, alert_id: int) -> dict[str, Any] | None:
        """One ``alerts`` row, or None."""
        rows = self._rows("SELECT * FROM alerts WHERE id = ?", [alert_id])
        return rows[0] if rows else None

    def raise_alert(self, condition: str, message: str, *, run_id: int, at: str) -> int:
        """The open alert of ``condition`` repeated by run ``run_id`` (its message brought up to
        date), or a new one raised; its id."""
        row = self.db.execute(
            "SELECT id FROM alerts WHERE condition = ? AND cleared_at IS NULL ORDER BY id DESC LIMIT 1", [condition]
        ).fetchone()
        if row is not None:
            self.db.execute(
                "UPDATE alerts SET message = ?, last_run_id = ?, last_seen_at = ?, runs = runs + 1 WHERE id = ?",
                [message, run_id, at, row[0]],
            )
            return int(row[0])
        cursor = self.db.execute(
            """INSERT INTO alerts (condition, message, first_run_id, last_run_id, raised_at, last_seen_at, runs)
            VALUES (?, ?, ?, ?, ?, ?, 1)""",
            [condition, message, run_id, run_id, at, at],
        )
        return int(cursor.lastrowid or 0)

    def clear_alert(self, alert_id: int, *, run_id: int, at: str) -> None:
        """Run ``run_id`` saw the alert's condition gone: it is closed (a recurrence is a new alert)."""
        self.db.execute(
            "UPDATE alerts SET cleared_at = ?, cleared_run_id = ? WHERE id = ? AND cleared_at IS NULL",
            [at, run_id, alert_id],
        )

    def acknowledge_alert(self, alert_id: int, *, by: str, why: str, at: str) -> dict[str, Any] | None:
        """An operator has seen the alert: later runs no longer repeat it (nor exit 3 for it), and
        their runs become the drift baseline again. Who, when and why are kept (the first
        acknowledgement's: a second one changes nothing); None when no such alert is open."""
        with self.db.atomic():
            self.db.execute(
                """UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ?, acknowledged_why = ?
                WHERE id = ? AND cleared_at IS NULL AND acknowledged_at IS NULL""",
                [at, by, why, alert_id],
            )
        alert = self.get_alert(alert_id)
        return alert if alert is not None and alert["cleared_at"] is None else None
