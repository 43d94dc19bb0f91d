"""Analytics: training against deployment, from the datasets' parquet files.

- `metrics`: per-episode and per-dataset numbers (gripper, action jumps, start pose), all episodes at once;
- `runs`: where deployment recordings are, their registry rows, success rates with Wilson intervals;
- `view`: everything the Analytics page shows, in one call (`load_analytics`), and its figures;
- `figures`: plotly figures on one pinned template, so every export looks alike;
- `frames`: the few decoded camera frames analytics needs;
- `diagnosis`: the likely root causes of a failing deployment, as findings with stable ids;
- `export`: PNG through kaleido and the self-contained HTML report.

May import: `core.rules`, `core.start_pose`, `core.training`, `core.policy`, `core.registry` and the
loose modules. Only `app/`, `pages/` and `core.cli` import it.
"""
