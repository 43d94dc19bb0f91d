"""Deploy: the preflight gate, then policy episodes through lerobot's rollout engine, recorded and tagged."""

from pathlib import Path

import streamlit as st

from app.camera_views import EPISODE_FEED_FPS, live_feed
from app.context import profile_or_stop, selection_or_stop, station_or_stop, workspace
from app.control import read_only
from app.deploy_views import blocking_summary, checklist, tag_form, tags_csv
from app.evaluation_views import plan_panel, plan_setup, start_plan_episode
from app.run_panel import live_run_panel
from app.station_panel import command_button
from core.deploy.gate import run_preflight
from core.errors import PreflightError
from core.evaluation.plan import open_plan
from core.policy.camera_slots import check_slot_choice, propose_camera_slots
from core.policy.checkpoint import read_checkpoint
from core.policy.inference_settings import supports_rtc
from core.registry import Registry
from core.start_pose.pose import move_home_target, verdict_for_station
from core.start_pose.tolerances import load_tolerance_overrides
from core.station.run_settings import RunSettings
from core.text import markdown_literal
from core.training.selection import Selection

st.title("Deploy")
st.caption(
    "Every check below must pass before the policy drives the arm. Episodes run through lerobot's rollout engine and "
    "are recorded; tag each one."
)
selection = selection_or_stop()
client = station_or_stop("to deploy on it", icon=":material/rocket_launch:")
registry = Registry.open()
state = client.state()
run = state.run

# -- 1. Policy and its training data -----------------------------------------------------------------
st.header("1. Policy")
policy_dir = st.text_input(
    "Policy checkpoint folder", value=selection.policy_dir or "", disabled=run is not None and run.is_open
)
try:
    checkpoint = read_checkpoint(policy_dir)
except PreflightError as error:
    st.error(str(error))
    st.stop()
linked = (
    checkpoint.training.dataset_root
    if checkpoint.training and checkpoint.training.dataset_root and Path(checkpoint.training.dataset_root).is_dir()
    else None
)
dataset_dir = st.text_input(
    "Training dataset the checks compare against",
    value=linked or selection.dataset_dir,
    help=(
        "Linked through the checkpoint's train_config.json when that folder is on this machine; otherwise pick it by "
        "hand."
    ),
)
st.caption(
    "Linked through train_config.json."
    if linked and dataset_dir == linked
    else "Picked by hand (train_config.json names no dataset on this machine)."
)
profile = profile_or_stop(Selection(dataset_dir, checkpoint.path))
st.caption(
    f"{checkpoint.policy_type.upper()} · chunk_size {checkpoint.chunk_size} · n_action_steps "
    f"{checkpoint.n_action_steps} · trained on {profile.total_episodes} episodes, {profile.fps:g} fps"
    + (f" · {profile.epochs:.1f} epochs" if profile.epochs else "")
)

# -- 2. Settings ----------------------------------------------------------------------------------------
st.header("2. Settings")
training_tasks = [task.task for task in profile.tasks]
if "deploy_task" not in st.session_state:
    st.session_state["deploy_task"] = training_tasks[0] if training_tasks else ""
picked = st.pills(
    "Training sentences (click to use one exactly)",
    training_tasks,
    format_func=markdown_literal,
    key="deploy_task_pick",
)
if picked and picked != st.session_state.get("deploy_task_picked"):
    st.session_state["deploy_task"], st.session_state["deploy_task_picked"] = picked, picked
task = st.text_area(
    "Task sentence",
    key="deploy_task",
    height=68,
    help="Given to the policy exactly as typed; trailing spaces and newlines count.",
)
left, middle, right = st.columns(3)
episode_time_s = left.number_input("Episode length (s)", min_value=2.0, max_value=600.0, value=20.0, step=1.0)
reset = middle.radio(
    "Between episodes",
    ["move_home", "leader", "none"],
    format_func={"move_home": "Automatic move home", "leader": "Leader arm", "none": "Leave the arm"}.get,
)
inference = right.radio(
    "Inference",
    ["sync", "rtc"] if supports_rtc(checkpoint) else ["sync"],
    format_func={"sync": "Synchronous", "rtc": "Real-time chunking (RTC)"}.get,
)
n_action_steps = left.number_input(
    "n_action_steps (actions executed per plan)",
    min_value=1,
    value=int(checkpoint.n_action_steps or 1),
    help=(
        f"The checkpoint's: {checkpoint.n_action_steps}. chunk_size ({checkpoint.chunk_size}) is fixed by the weights."
    ),
)
rtc_horizon = (
    middle.number_input("RTC execution horizon (actions)", min_value=1, value=10) if inference == "rtc" else None
)

proposal = propose_camera_slots(checkpoint, list(state.camera_mapping), [c.key for c in profile.cameras])
with st.expander("Camera → policy slot mapping", expanded=proposal.blocking):
    st.caption(proposal.explanation)
    cameras = list(state.camera_mapping)
    choice = {}
    for slot in proposal.slots:
        if slot.state == "empty_camera":
            st.markdown(f"`{slot.slot}`: an `empty_cameras` slot, left empty on purpose")
            continue
        default = (
            slot.cameras[0] if slot.cameras and slot.cameras[0].removeprefix("observation.images.") in cameras else None
        )
        options = [None, *cameras]
        current = default.removeprefix("observation.images.") if default else None
        choice[slot.slot] = st.selectbox(
            f"`{slot.slot}`",
            options,
            index=options.index(current),
            format_func=lambda c: c or "— none —",
            key=f"slot_{slot.slot}",
        )
slots = check_slot_choice(checkpoint, cameras, choice, [c.key for c in profile.cameras])

# -- 3. Preflight -------------------------------------------------------------------------------------------
st.header("3. Preflight checks")
tolerances = load_tolerance_overrides(workspace(), profile.name)
preflight = run_preflight(
    task=task,
    profile=profile,
    checkpoint=checkpoint,
    state=state,
    client=client,
    inference=inference,
    n_action_steps=int(n_action_steps),
    rtc_execution_horizon=rtc_horizon,
    rename_map=slots.rename_map,
    tolerances=tolerances,
)
checklist(preflight)
override = False
if preflight.statuses["task_mismatch"] == "fail":
    override = st.checkbox(
        "Run with this sentence anyway: I know it is not a training task (recorded with the run)", key="task_override"
    )
st.button("Check again", icon=":material/refresh:")

# -- 4. Run -------------------------------------------------------------------------------------------------------
st.header("4. Run")


def current_settings() -> RunSettings:
    """The run the operator set up above, as the station will deploy it."""
    return RunSettings(
        policy_dir=checkpoint.path,
        task=task,
        episode_time_s=float(episode_time_s),
        reset=reset,
        start_pose=move_home_target(state, profile),
        n_action_steps=int(n_action_steps),
        inference=inference,
        rtc_execution_horizon=rtc_horizon,
        rename_map=slots.rename_map,
        task_override=override,
        training_profile=profile.name,
        training_dataset=profile.dataset_dir,
    )


def condition_gate(settings: RunSettings) -> str:
    """The preflight gate for an evaluation condition's settings: "" when it may run, else what blocks it."""
    try:
        condition_checkpoint = read_checkpoint(settings.policy_dir)
        checked = run_preflight(
            task=settings.task,
            profile=profile,
            checkpoint=condition_checkpoint,
            state=state,
            client=client,
            inference=settings.inference,
            n_action_steps=int(settings.n_action_steps or condition_checkpoint.n_action_steps or 1),
            rtc_execution_horizon=settings.rtc_execution_horizon,
            rename_map=settings.rename_map,
            tolerances=tolerances,
        )
    except PreflightError as error:
        return str(error)
    return blocking_summary(checked, settings.task_override)


plan = open_plan(registry, client.name)
plan_step = plan_panel(registry, client, plan, run, condition_gate) if plan is not None else None
if plan is None and (run is None or not run.is_open):
    if run is not None and run.has_failed:
        st.error(run.message)
    why = blocking_summary(preflight, override)
    if why:
        st.caption(why)

    def start_run() -> None:
        """The button's callback, with the settings the operator saw: it runs before the redraw the click
        causes, so no rerun (the run panel's, a fragment's) can drop the click."""
        try:
            client.start_run(current_settings())
        except PreflightError as error:
            st.toast(str(error), icon=":material/error:")

    st.button(
        "Start run", type="primary", disabled=bool(why) or read_only(), icon=":material/play_arrow:", on_click=start_run
    )
    plan_setup(registry, client.name, current_settings, supports_rtc(checkpoint))

feeds = st.columns(len(state.camera_mapping))
episode_running = run is not None and run.episode_running  # the page reruns when the phase changes
for column, camera in zip(feeds, state.camera_mapping):
    with column:
        st.caption(camera + (f" · {EPISODE_FEED_FPS} fps while the policy runs" if episode_running else ""))
        live_feed(client.name, camera, height_px=240, max_fps=EPISODE_FEED_FPS if episode_running else None)


def run_controls() -> None:
    state = client.state()
    run = state.run
    if run is None or not run.takes_episode_commands:
        return
    if run.episode_running:
        stop, discard = st.columns(2)
        command_button("Stop episode", client.stop_episode, container=stop, icon=":material/stop:")
        command_button("Discard episode", client.discard_episode, container=discard, icon=":material/delete:")
        return
    waiting = registry.untagged_episodes(run_id=run.run_id) if run.run_id else []
    if waiting:
        episode = waiting[0]
        st.info(
            f"Episode {episode.episode_index} "
            f"({episode.status}{': ' + episode.abort_reason if episode.abort_reason else ''}) needs a decision before "
            "the next one."
        )
        tag_form(registry, episode.id, episode.episode_index, "run")  # saved in its callback: this run no longer asks
        return
    try:
        verdict = verdict_for_station(state, profile, tolerances)
    except PreflightError as error:
        st.error(str(error))
        return
    leader_reset = state.mode == "mirror" and run.settings.reset == "leader"
    busy = state.mode != "idle" and not leader_reset
    start, end = st.columns(2)
    start_button = {
        "container": start,
        "type": "primary",
        "disabled": busy or not verdict.go,
        "icon": ":material/play_circle:",
        "help": "The arm must be idle and at the start pose (GO).",
    }
    if plan_step is None:
        command_button("Start episode", client.start_episode, **start_button)
    elif plan_step.kind == "start_episode":  # every plan episode passes its condition's gate, as its run did
        why = condition_gate(plan_step.condition.settings)
        if why:
            st.error(f"Condition {plan_step.condition.label} cannot run now: {why}")
        start_plan_episode(
            client, plan, plan_step, **{**start_button, "disabled": start_button["disabled"] or bool(why)}
        )
    command_button("End run", client.end_run, container=end, icon=":material/stop_circle:")
    if leader_reset:
        st.caption(
            "The follower mirrors the leader arm: reset the scene with it; starting the episode hands the arm to the "
            "policy."
        )
    elif busy:
        st.caption(f"The arm is {state.mode.replace('_', ' ')}…")
    elif not verdict.go:
        st.warning("Start pose NO-GO: " + "; ".join(verdict.moves) + ". Move it home on the Home reset page, or:")
        command_button(
            "Move home now",
            client.move_home,
            move_home_target(state, profile),
            icon=":material/home:",
            width="content",
        )


run_controls()
live_run_panel(client.name, state)  # pushed by the server each second; the page reruns when the run's phase changes

# -- 5. Episodes and tags -----------------------------------------------------------------------------------------
st.header("5. Episodes")


@st.fragment(run_every=None if episode_running else 3.0)  # during an episode the table cannot change
def episodes_table() -> None:
    rows = registry.episode_rows(station=client.name, last=50)
    if not rows:
        st.caption("No episodes recorded on this station yet.")
        return
    table = [
        {
            "id": r.episode_id,
            "episode": r.episode_index,
            "status": r.status,
            "reason": r.abort_reason or "",
            "outcome": r.outcome or "awaiting decision",
            "score": r.score,
            "note": r.note or "",
            f"start pose Δ{profile.joint_units.symbol}": r.start_pose_distance_deg,
            "frames": r.length_frames,
            "task": r.task,
            "recording": Path(r.dataset_root).name,
        }
        for r in rows
    ]
    st.dataframe(table, hide_index=True, width="stretch")


episodes_table()
rows = registry.episode_rows(station=client.name, last=50)
if rows:
    with st.expander("Edit a tag"):
        chosen = st.selectbox(
            "Episode",
            rows,
            format_func=lambda r: (
                f"#{r.episode_id}: episode {r.episode_index} of {Path(r.dataset_root).name} ({r.outcome or 'untagged'})"
            ),
        )
        if chosen is not None and tag_form(
            registry, chosen.episode_id, chosen.episode_index, "edit", question="change the decision"
        ):
            st.success("Tag saved; the previous one stays in the history.")
    st.download_button(
        "Export tags as CSV",
        data=tags_csv(registry, client.name),
        file_name="preflight_tags.csv",
        mime="text/csv",
        icon=":material/download:",
    )
