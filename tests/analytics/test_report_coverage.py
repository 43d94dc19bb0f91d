"""Every report lists the checks run and those skipped with why: the profile's hygiene and the diagnosis, in the
Markdown and HTML reports, and a report with nothing checkable never says "no findings"."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from core.analytics.diagnosis import diagnose_paths
from core.analytics.export import report_html
from core.analytics.provenance import provenance_of
from core.analytics.reports import write_report
from core.analytics.view import figures, load_analytics


def test_markdown_and_html_reports_list_hygiene_checks_run_and_skipped(profile, clean_dir: Path, tmp_path: Path):
    skipped = {skip.id: skip.reason for skip in profile.hygiene.skipped}
    assert skipped["outlier"].startswith("6 episodes")  # the training set is too small for a robust z-score
    diagnosis = diagnose_paths(profile, clean_dir, with_frames=False)
    provenance = provenance_of([profile.dataset_dir, clean_dir])
    markdown = write_report(tmp_path / "r.md", provenance, profile, diagnosis).read_text()
    html = write_report(tmp_path / "r.html", provenance, profile, diagnosis).read_text()
    for report in (markdown, html):
        assert f"- checks run: {', '.join(profile.hygiene.checked)}" in report
        assert f"- not checked: outlier ({skipped['outlier']})" in report
        assert "no unreadable video, frozen values, duplicate, outlier or gripper fault" not in report
    assert f"checks run: {', '.join(diagnosis.checked)}" in markdown
    assert f"Checks run: {', '.join(diagnosis.checked)}" in html


def test_a_diagnosis_that_could_check_nothing_never_says_no_findings(profile, clean_dir: Path) -> None:
    diagnosis = diagnose_paths(profile, clean_dir, with_frames=False)
    blind = replace(diagnosis, findings=(), checked=())
    data = load_analytics(profile, [clean_dir])
    html = report_html(data, figures(data), diagnoses={"rollout_clean": blind})
    assert "Nothing could be checked" in html and "No findings" not in html
    assert "Checks run: none" in html
