"""Passwords masked in messages and log lines; strings from data inert in markdown and CSV."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

import markdown_it
import pytest

from core.errors import RegistryError
from core.registry import MaskPasswords, Registry, mask_passwords
from core.registry.store import _csv_cell
from core.text import csv_cell, markdown_literal
from core.workspace import REPO_ROOT, WORKSPACE_ENV

PASSWORD = "s3cr3t-pa55"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://preflight:{PASSWORD}@db.lab:5432/registry",
        f"mysql+pymysql://lab:{PASSWORD}@10.0.0.2/reg",
        f"sqlite:///reg.sqlite?password={PASSWORD}",
    ],
)
def test_a_database_password_is_masked_in_messages_and_log_lines(url: str, caplog) -> None:
    with pytest.raises(RegistryError) as refused:
        Registry.open(url)
    assert PASSWORD not in str(refused.value) and "***" in str(refused.value)
    logger = logging.getLogger("tests.security.masking")
    handler = logging.StreamHandler()
    caplog.handler.addFilter(MaskPasswords())
    logger.addHandler(handler)
    try:
        logger.error("the registry failed: %s", url)
    finally:
        logger.removeHandler(handler)
    assert PASSWORD not in caplog.text and "***" in caplog.text
    assert mask_passwords("sqlite:///lab/registry.sqlite") == "sqlite:///lab/registry.sqlite"  # no password


def test_a_password_in_a_logged_exception_is_masked_in_its_traceback() -> None:
    url = f"postgresql+psycopg://station:{PASSWORD}@db.lab/registry"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPasswords())
    logger = logging.getLogger("tests.security.traceback")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"could not connect to {url}")
        except RuntimeError:
            logger.exception("the registry failed")
        logger.warning("where it failed", stack_info=True)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback (most recent call last)" in text and "Stack (most recent call last)" in text
    assert "RuntimeError: could not connect to postgresql+psycopg://station:***@db.lab/registry" in text
    assert PASSWORD not in text


def test_the_app_process_masks_passwords_in_every_log_line_and_traceback(tmp_path) -> None:
    """app/asgi.py, as Streamlit loads it, masks every record as it is made: core's loggers, which reach Python's
    last-resort handler under Streamlit, and a handler configured after the start alike."""
    url = f"postgresql+psycopg://station:{PASSWORD}@db.lab/registry"
    script = f"""
import logging
import app.asgi
log = logging.getLogger("core.registry.store")
try:
    raise RuntimeError("could not connect to {url}")
except RuntimeError:
    log.exception("the registry at %s failed", "{url}")
logging.basicConfig(format="configured later: %(message)s")
log.error("still %s", "{url}")
"""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), WORKSPACE_ENV: str(tmp_path / "workspace")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "RuntimeError: could not connect to postgresql+psycopg://station:***@db.lab" in done.stderr
    assert "the registry at postgresql+psycopg://station:***@db.lab/registry failed" in done.stderr
    assert "configured later: still postgresql+psycopg://station:***@" in done.stderr
    assert PASSWORD not in done.stderr


def test_dataset_strings_render_as_text_in_markdown() -> None:
    task = "![x](http://evil.example/p.png) [click](http://evil.example) <img src=x> :red[alarm] | col\nnext"
    literal = markdown_literal(task)
    assert "\n" not in literal and "\\:red\\[" in literal  # Streamlit's colour directive is escaped too
    rendered = markdown_it.MarkdownIt("commonmark").render(literal)
    assert "<img" not in rendered and "<a " not in rendered and "http://evil.example" in rendered


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    for formula in ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(formula).startswith("'") and _csv_cell(formula) == "'" + formula
    assert _csv_cell("Grab the brain") == "Grab the brain" and _csv_cell(-2.5) == -2.5
