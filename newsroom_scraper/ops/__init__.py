"""Running the archive for years: re-checks by age (schedule.py), the run report (report.py),
drift alerts (drift.py), the site probe (doctor.py) and verified backups (backup.py)."""
