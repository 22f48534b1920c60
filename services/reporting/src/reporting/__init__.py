"""Reporting: consumes every event and keeps the facts the monthly/quarterly/half-year/annual reports are built from."""
