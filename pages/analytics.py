"""Analytics: training against deployment, the diagnosis of a run, and the training planner."""

from datetime import UTC, datetime
from pathlib import Path

import streamlit as st

from app.compare_views import pick_comparison, show_comparison
from app.context import active_profile, workspace
from app.fleet_views import fleet_panel
from core.analytics.diagnosis import camera_views, diagnose, no_findings_sentence
from core.analytics.export import ReportFrame, figure_png, modebar_config, report_html
from core.analytics.figures import episode_figure
from core.analytics.frames import drilldown_frames
from core.analytics.metrics import DatasetMetrics, Reference, dataset_fingerprint, dataset_metrics, episode_frames
from core.analytics.runs import find_recordings
from core.analytics.view import (
    FIGURE_TITLES,
    figures,
    load_analytics,
    saved_profiles,
    summary_table,
)
from core.errors import PreflightError
from core.registry import Registry
from core.rules.epochs import trained_epochs
from core.text import markdown_literal
from core.training import planner
from core.training.dataset_files import open_dataset
from core.training.exclusions import load_exclusions
from core.training.profile import TrainingProfile
from core.training.video_frames import to_jpeg


@st.cache_data(show_spinner=False, max_entries=8)
def load_profile(path: str, modified: float) -> TrainingProfile:
    return TrainingProfile.load(path)


@st.cache_data(show_spinner=False, max_entries=64)
def metrics(root: str, fingerprint: str, reference_key: str, _reference: Reference) -> DatasetMetrics:
    return dataset_metrics(root, _reference)


@st.cache_data(show_spinner=False, max_entries=32)
def views(root: str, fingerprint: str) -> dict:
    return camera_views(open_dataset(root))


@st.cache_data(show_spinner=False, max_entries=32)
def drilldown(root: str, fingerprint: str, episode_index: int) -> list:
    return drilldown_frames(open_dataset(root), episode_index)


def cached_metrics(root: str, reference: Reference) -> DatasetMetrics:
    return metrics(root, dataset_fingerprint(root), repr(reference), reference)


st.title("Analytics")
space = workspace()
active_profile(required=False)  # stores the Overview page's selection as a profile, so it is listed below
profile_files = saved_profiles(space)
try:
    registry = Registry.open()
    registry_rows = registry.episode_rows()
except PreflightError as error:
    st.warning(f"{error} Outcomes are shown as unknown.")
    registry, registry_rows = None, []
if not profile_files:
    st.info(
        "No training profile yet: pick a training dataset on the Overview page, or run "
        "`python -m core profile --dataset DIR --save`. The lab's runs from the registry:",
        icon=":material/dataset:",
    )
    fleet_panel(registry_rows)  # an analytics-only computer still sees every station's runs
    st.stop()
recordings = [str(path) for path in find_recordings(space, registry_rows)]

left, right = st.columns([1, 2])
profile_path = left.selectbox(
    "Training profile", [str(p) for p in profile_files], format_func=lambda p: Path(p).parent.name
)
run_roots = right.multiselect(
    "Deployment runs",
    recordings,
    default=recordings[:1],
    format_func=lambda p: Path(p).name,
    help="LeRobot recordings under the workspace's recordings folder, and those the registry names.",
)
try:
    profile = load_profile(profile_path, Path(profile_path).stat().st_mtime)
    data = load_analytics(profile, run_roots, registry_rows, metrics_of=cached_metrics)
except PreflightError as error:
    st.error(str(error))
    st.stop()
if data.training is None:
    st.warning(
        f"The training dataset {profile.dataset_dir} is not on this machine: training is shown from its profile only."
    )
if not run_roots:
    st.info(
        "No deployment run picked: record episodes on the Deploy page, then pick their run here.",
        icon=":material/rocket_launch:",
    )

st.dataframe(summary_table(data), hide_index=True)
charts = figures(data)
diagnoses = st.session_state.setdefault("analytics_diagnoses", {})
report_frames = st.session_state.setdefault("analytics_report_frames", [])
report_extras = {}  # the drill-down figure, when one is shown

compare, drill, diagnosis_tab, compare_tab, plan_tab, fleet_tab = st.tabs(
    ["Training vs deployment", "Episode drill-down", "Diagnosis", "Compare", "Planner", "Fleet"]
)

with fleet_tab:  # every station's runs from the registry, on any computer; no dataset is read
    fleet_panel(registry_rows)

with compare_tab:  # is B really better than A? An evaluation plan's conditions or two runs, from the registry
    comparison = pick_comparison(registry, registry_rows) if registry is not None else None
    if comparison is not None:
        show_comparison(comparison)

with compare:
    for key, figure in charts.items():
        st.plotly_chart(figure, theme=None, config=modebar_config(key), key=f"chart_{key}")
        st.download_button(
            f"PNG: {FIGURE_TITLES[key]}",
            data=lambda figure=figure: figure_png(figure),
            file_name=f"{key}.png",
            mime="image/png",
            on_click="ignore",
            icon=":material/image:",
            key=f"png_{key}",
        )

with drill:
    datasets = {d.root: d for d in ([data.training] if data.training is not None else []) + list(data.runs)}
    chosen_root = st.selectbox(
        "Dataset", list(datasets), format_func=lambda root: datasets[root].name, key="drill_dataset"
    )
    if chosen_root is not None:
        chosen = datasets[chosen_root]
        episode_index = st.selectbox("Episode", chosen.episodes["episode_index"].tolist(), key="drill_episode")
        row = chosen.episodes.set_index("episode_index").loc[episode_index]
        st.caption(
            f"{row['length_frames']} frames · gripper closed {row['closed_fraction_action']:.0%} of actions · "
            f"start-pose distance {data.profile.joint_units.format(row['start_pose_distance_deg'])} · "
            f"task {row['task']!r}"
        )
        try:
            frames = episode_frames(chosen.root, episode_index)
            title = f"{chosen.name}, episode {episode_index}"
            drilled = episode_figure(frames, chosen.action_names, title, data.reference.closed_threshold)
            st.plotly_chart(drilled, theme=None, config=modebar_config("episode"), key="chart_episode")
            st.download_button(
                "PNG: episode",
                data=lambda: figure_png(drilled),
                file_name=f"{chosen.name}_episode_{episode_index}.png",
                mime="image/png",
                on_click="ignore",
                icon=":material/image:",
                key="png_episode",
            )
            report_extras["episode"] = drilled
            shots = drilldown(chosen.root, dataset_fingerprint(chosen.root), episode_index)
            columns = st.columns(3)
            report_frames.clear()
            for i, shot in enumerate(shots):
                caption = f"{shot.camera_key.removeprefix('observation.images.')} at {shot.at_s:.1f} s"
                columns[i % 3].image(shot.image, caption=caption, width="stretch")
                report_frames.append(ReportFrame(f"{title}: {caption}", to_jpeg(shot.image, max_width_px=480)))
        except PreflightError as error:
            st.error(str(error))

with diagnosis_tab:
    if not data.runs:
        st.info("Pick a deployment run above to diagnose it.")
    else:
        runs = {run.root: run for run in data.runs}
        target = runs[
            st.selectbox("Run to diagnose", list(runs), format_func=lambda root: runs[root].name, key="diagnose_run")
        ]
        if st.button("Diagnose", type="primary", icon=":material/troubleshoot:"):
            with st.spinner("Comparing with the training data..."):
                try:
                    diagnoses[profile.name, target.root] = diagnose(
                        profile,
                        target,
                        training=data.training,
                        checkpoint=profile.checkpoint,
                        epochs=trained_epochs(
                            profile, profile.checkpoint, data.training.episode_lengths if data.training else None
                        ),
                        views=views(target.root, dataset_fingerprint(target.root)),
                    )
                except PreflightError as error:
                    st.error(str(error))
        result = diagnoses.get((profile.name, target.root))
        if result is not None and not result.findings:
            (st.success if result.checked else st.warning)(no_findings_sentence(result), icon=":material/fact_check:")
        for finding in result.findings if result else ():
            show = {"critical": st.error, "warning": st.warning, "info": st.info}[finding.severity]
            show(  # findings quote the training task and names from the data: shown as text
                f"**{markdown_literal(finding.title)}** (`{finding.id}`, {finding.severity})\n\n"
                f"{markdown_literal(finding.evidence.sentence)}\n\n**Fix:** {markdown_literal(finding.fix)}"
            )
        if result is not None:
            st.caption(f"Checks run: {', '.join(result.checked) or 'none'}")
        if result is not None and result.skipped:
            st.caption("Not checked: " + "; ".join(f"{s.id} ({markdown_literal(s.reason)})" for s in result.skipped))

with plan_tab:
    a, b, c = st.columns(3)
    batch_size = a.number_input("Batch size", min_value=1, value=8, step=1)
    trained_type = profile.checkpoint.policy_type if profile.checkpoint else "act"
    policy_types = sorted({*planner.EPOCH_GUIDANCE, trained_type})
    policy_type = b.selectbox("Policy type", policy_types, index=policy_types.index(trained_type))
    by_steps = (
        c.segmented_control("Plan by", ["target epochs", "steps"], default="target epochs", required=True) == "steps"
    )
    amount = st.number_input(
        "Steps" if by_steps else "Target epochs",
        min_value=1.0 if by_steps else 0.1,
        value=100_000.0 if by_steps else 5.0,
    )
    added = st.multiselect(
        "Merge deployment runs into the training set",
        [run.root for run in data.runs],
        format_func=lambda p: Path(p).name,
    )
    try:
        excluded = load_exclusions(space, profile.name)  # left out of the merge, so out of its frames too
        check = planner.check_merge(profile.dataset_dir, added, excluded) if added else None
        frames = check.frames if check else profile.total_frames
        plan = planner.plan_training(
            frames,
            batch_size,
            steps=int(amount) if by_steps else None,
            target_epochs=None if by_steps else amount,
            policy_type=policy_type,
        )
        guidance = plan.guidance
        m1, m2, m3 = st.columns(3)
        m1.metric("Frames", f"{frames:,}")
        m2.metric("Steps", f"{plan.steps:,}")
        m3.metric("Epochs", f"{plan.epochs:.2f}")
        say = {"typical": st.success, "above": st.warning, "below": st.info}[plan.verdict]
        say(
            f"{plan.epochs:.1f} epochs is {plan.verdict} for {guidance.policy_type} (typical "
            f"{guidance.typical_low:g}-{guidance.typical_high:g}, warn above {guidance.warn_above:g}). {guidance.basis}"
        )
        with st.expander("Where the guidance comes from"):
            st.markdown("\n".join(f"- {source}" for source in guidance.sources))
        for problem in check.problems if check else ():
            st.error(problem)
        for note in check.notes if check else ():
            st.warning(note)
        target_root = Path(profile.dataset_dir)
        if check is not None and check.ok:
            only_success = st.checkbox(
                "Only episodes tagged success", value=True, help="Failed rollouts would teach the policy its failures."
            )
            target_root = planner.merged_root(
                st.text_input("Name of the merged dataset", value=f"{target_root.name}_mixed"), space
            )
            st.caption(
                f"Written to {target_root} with lerobot's merge_datasets; the sources are not changed."
                + (
                    f" Training episodes excluded on the Overview page are left out: {list(excluded)}."
                    if excluded
                    else ""
                )
            )
            if st.button("Merge into a new training set", icon=":material/merge:", disabled=target_root.exists()):
                with st.spinner("Merging with lerobot..."):
                    successes = planner.successful_episodes(Registry.open(), added) if only_success else None
                    keep = "success" if only_success else "all"
                    result = planner.merge_recordings(
                        profile.dataset_dir,
                        added,
                        target_root,
                        keep=keep,
                        successes=successes,
                        exclude_training=excluded,
                    )
                st.success(f"Merged {result.episodes} episodes ({result.frames} frames) into {result.root}.")
                plan = planner.plan_training(
                    result.frames, batch_size, target_epochs=plan.epochs, policy_type=policy_type
                )
        if check is None or check.ok:
            command = planner.train_command(
                target_root,
                planner.local_repo_id(target_root.name),
                steps=plan.steps,
                batch_size=batch_size,
                policy_type=policy_type,
            )
            st.code(command, language="bash")
    except PreflightError as error:
        st.error(str(error))

st.download_button(
    "Download the report (HTML)",
    data=lambda: report_html(
        data,
        {**charts, **report_extras},
        frames=list(report_frames),
        generated_at=datetime.now(UTC),
        diagnoses={
            Path(root).name: d for (name, root), d in diagnoses.items() if name == profile.name and root in run_roots
        },
        comparison=comparison,
    ),
    file_name=f"preflight-analytics-{datetime.now():%Y%m%d-%H%M}.html",
    mime="text/html",
    on_click="ignore",
    icon=":material/download:",
    type="primary",
    key="report",
)
