"""The one result type of every rule, shown by the Deploy gate and reported by the diagnosis."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["ok", "info", "warning", "critical"]
PROBLEM_SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")  # most severe first; "ok" is no problem


@dataclass(frozen=True)
class Evidence:
    sentence: str  # one line a person reads
    numbers: Mapping[str, Any] = field(default_factory=dict)  # what the sentence is computed from (JSON-ready)


@dataclass(frozen=True)
class Finding:
    """A rule's judgement: `id` names the cause (stable across versions), `severity` "ok" means nothing is wrong."""

    id: str
    severity: Severity
    title: str
    evidence: Evidence
    fix: str = ""

    @property
    def is_problem(self) -> bool:
        return self.severity != "ok"


class CannotJudge(Exception):
    """A rule that cannot run on these inputs; the message says why (it never passes silently)."""


def finding_or_not_checked(finding_id: str, title: str, rule: Callable[[], Finding], fix: str = "") -> Finding:
    """The rule's finding, or an info finding that says why it could not run (the gate never passes it silently)."""
    try:
        return rule()
    except CannotJudge as reason:
        return Finding(finding_id, "info", f"{title}: not checked", Evidence(f"Not checked: {reason}."), fix)
