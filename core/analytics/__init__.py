"""Analytics: training against deployment, from the datasets' parquet files.

- `metrics`: per-episode and per-dataset numbers (gripper, action jumps, start pose), all episodes at once;
- `runs`: where deployment recordings are, their registry rows, success rates with Wilson intervals;
- `view`: everything the Analytics page shows, in one call (`load_analytics`), and its figures;
- `figures`: plotly figures on one pinned template, so every export looks alike;
- `frames`: the few decoded camera frames analytics needs;
- `diagnosis`: the likely root causes of a failing deployment, as findings with stable ids;
- `export`: PNG through kaleido and the self-contained HTML report;
- `compare`: is B really better than A? Exact statistics of two conditions' tagged episodes (scipy.stats);
- `compare_view`: the Compare tab's and the report's tables of a comparison, and two runs compared.

May import: `core.rules`, `core.start_pose`, `core.training`, `core.policy`, `core.registry` and the
loose modules. In core, only `core.evaluation` and `core.cli` import it; so do `app/` and `pages/`.
"""
