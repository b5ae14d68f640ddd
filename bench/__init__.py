"""The rerunnable benchmark of issue 6: `python -m bench --sizes 10000,100000 --runs 20`."""
