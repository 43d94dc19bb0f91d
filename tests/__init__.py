"""Makes `tests` a regular package so `from tests.builders import ...` finds this folder.

draccus (a lerobot dependency) installs its own top-level `tests` package into site-packages;
without this file that regular package wins over our namespace folder on every import.
"""
