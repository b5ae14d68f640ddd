"""The report pages, one module per topic: public.py (no login), dashboard.py, pack.py,
reconcile.py, checks.py, teams.py (evaluation and notices)."""
