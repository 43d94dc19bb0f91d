"""Preflight core: everything that does not draw a page. Never imports streamlit.

Importing the package sets the environment defaults every entry point needs, before
huggingface_hub or mujoco read them: no Hub access unless the user asks for it, and
MuJoCo's EGL renderer (software Mesa on machines without a GPU).
"""

import os

__version__ = "0.7.0"  # reports carry it (core.analytics.provenance), with the git commit when there is one

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MUJOCO_GL", "egl")
