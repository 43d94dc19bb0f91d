"""The shipped configuration and documents keep the safe defaults of docs/security.md: the server binds loopback and
answers only loopback names, an error never shows its traceback in the browser, and no document advises a capability
on the shared Python interpreter."""

from __future__ import annotations

import tomllib

from app.access import LOOPBACK_NAMES
from core.workspace import REPO_ROOT

CONFIG = REPO_ROOT / ".streamlit" / "config.toml"


def test_the_server_binds_loopback_answers_loopback_names_and_shows_no_tracebacks() -> None:
    config = tomllib.loads(CONFIG.read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["allowedHosts"] and set(config["server"]["allowedHosts"]) <= LOOPBACK_NAMES
    assert config["client"]["showErrorDetails"] == "type"  # the error's type, never its traceback


def test_no_document_advises_setcap_on_the_interpreter() -> None:
    documents = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]
    advising = [
        str(path.relative_to(REPO_ROOT))
        for path in documents
        if path.name != "security.md" and "setcap" in path.read_text().lower()  # security.md names the old advice
    ]
    assert not advising, f"setcap advised in {advising}: point to an rtprio limit or a systemd unit instead"
