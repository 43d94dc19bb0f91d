"""Analytics: training against deployment, from the datasets' parquet files.

- `metrics`: per-episode and per-dataset numbers (gripper, action jumps, start pose, outcome);
- `runs`: where deployment recordings are, and their registry rows;
- `diagnosis`: the likely root causes of a failing deployment, as findings with stable ids;
- `figures`: plotly figures of the metrics (one pinned template, so every export looks alike);
- `export`: PNG through kaleido and the self-contained HTML report.
"""
