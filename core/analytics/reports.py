"""Reports written from the command line (`--report PATH.md|.html`) and the exit status scripts gate on (`--fail-on`).

The HTML report is the one the Analytics page exports (core.analytics.export.report_html); the
Markdown report carries the same sections as text, for a pull request or a dataset card. Both,
and the JSON output, carry the provenance (core.analytics.provenance).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from core.analytics.diagnosis import Diagnosis, format_diagnosis
from core.analytics.provenance import Provenance
from core.errors import PreflightError
from core.rules.finding import PROBLEM_SEVERITIES
from core.training.profile import TrainingProfile
from core.training.profile_summary import format_profile

FAIL_ON_LEVELS = ("critical", "warning", "info")


def fails(severities: Iterable[str], fail_on: str | None) -> bool:
    """True when a severity at or above `fail_on` is present (`fail_on` None: never)."""
    if fail_on is None:
        return False
    worst_allowed = PROBLEM_SEVERITIES.index(fail_on)
    return any(s in PROBLEM_SEVERITIES and PROBLEM_SEVERITIES.index(s) <= worst_allowed for s in severities)


def profile_severities(profile: TrainingProfile) -> list[str]:
    """Each problem a profile reports: its hygiene flags, its warnings (warning) and a feature mismatch (critical)."""
    severities = [flag.severity for flag in profile.hygiene.flags] if profile.hygiene else []
    severities += ["warning"] * len(profile.warnings)
    if profile.feature_check is not None and not profile.feature_check.matches:
        severities.append("critical")
    return severities


def write_report(
    path: Path, provenance: Provenance, profile: TrainingProfile, diagnosis: Diagnosis | None = None
) -> Path:
    """Write the Markdown or HTML report (by the file's suffix) of a profile, and of a diagnosis against it."""
    suffix = path.suffix.lower()
    if suffix not in (".md", ".html", ".htm"):
        raise PreflightError(f"--report {path}: name a .md or .html file.")
    text = _markdown(provenance, profile, diagnosis) if suffix == ".md" else _html(provenance, profile, diagnosis)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _markdown(provenance: Provenance, profile: TrainingProfile, diagnosis: Diagnosis | None) -> str:
    parts = [f"_Provenance: {provenance.line()}_", ""]
    if diagnosis is not None:
        parts += ["# Diagnosis", "", "```", format_diagnosis(diagnosis).rstrip(), "```", ""]
    parts.append(format_profile(profile))
    parts += ["", "## Provenance", "", f"- data sha256: `{provenance.data_sha256}`"]
    parts += [f"- dataset: `{root}`" for root in provenance.datasets]
    parts += [f"- Preflight {provenance.preflight_version}, lerobot {provenance.lerobot_version}", ""]
    return "\n".join(parts)


def _html(provenance: Provenance, profile: TrainingProfile, diagnosis: Diagnosis | None) -> str:
    from core.analytics.export import report_html
    from core.analytics.view import figures, load_analytics

    runs = [diagnosis.deployment["root"]] if diagnosis is not None else []
    data = load_analytics(profile, runs)
    diagnoses = {Path(runs[0]).name: diagnosis} if diagnosis is not None else None
    title = "Preflight diagnosis" if diagnosis is not None else "Preflight training profile"
    return report_html(data, figures(data), diagnoses=diagnoses, title=title, provenance=provenance)
