"""Makes `tests` a regular package, so `tests.<area>.conftest` imports find this folder.

draccus (a lerobot dependency) installs its own top-level `tests` package into site-packages;
without this file that regular package wins over our namespace folder on every import.
Helpers shared with bench/ live in the `testkit` package instead.
"""
