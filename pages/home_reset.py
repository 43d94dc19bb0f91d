"""Home reset: the arm against the training start pose, live; GO / NO-GO; the leader or an automatic move brings it
home."""

import math

import streamlit as st

from app.context import profile_or_stop, station_or_stop, workspace
from app.control import read_only
from app.evaluation_views import home_target, twin_target
from app.start_pose_views import joint_table, verdict_banner
from app.station_panel import command_button, station_action
from core.errors import PreflightError
from core.registry import Registry
from core.rules.start_pose import ARM_TOLERANCE_FLOOR, GRIPPER_TOLERANCE_FLOOR, TOLERANCE_SIGMAS
from core.start_pose.move_home import DEFAULT_MAX_SPEED_DEG_S, MAX_SPEED_DEG_S
from core.start_pose.pose import move_home_target, station_targets, verdict_for_station
from core.start_pose.tolerances import load_tolerance_overrides, save_tolerance_overrides

st.title("Home reset")
st.caption(
    "Episodes that start away from the training start pose (the mean of each training episode's first state) fail "
    "for no fault of the policy. Bring the arm home with the leader, or automatically, until the verdict is GO."
)
profile = profile_or_stop()
client = station_or_stop("to see the arm", icon=":material/precision_manufacturing:")

ws = workspace()
target = home_target(Registry.open(), client.name, ws)  # an evaluation twin's start replaces the training mean
try:
    first_verdict = verdict_for_station(
        client.state(), profile, load_tolerance_overrides(ws, profile.name), start_pose=target.start_pose
    )
except PreflightError as error:  # units that provably differ, no start pose, another robot's data
    st.error(str(error), icon=":material/straighten:")
    st.stop()
if first_verdict.units_note:
    st.warning(first_verdict.units_note, icon=":material/straighten:")
if target.twin is not None:
    st.info(
        f"Target: {target.name} (plan episode {target.twin.position + 1}), not the training mean. The next plan "
        "episode is its twin: the verdict and the deltas below are against where that episode started.",
        icon=":material/join:",
    )


def move_home_now() -> None:
    """The automatic move's button callback: the target is the training start pose in this station's units."""
    try:
        target = move_home_target(client.state(), profile)
    except PreflightError as error:
        st.toast(str(error), icon=":material/error:")
        return
    station_action(client.move_home, target, max_speed_deg_s=st.session_state["home_speed"])


@st.fragment(run_every=0.25)
def live_start_pose() -> None:
    try:
        state = client.state()
        overrides = load_tolerance_overrides(ws, profile.name)
        verdict = verdict_for_station(state, profile, overrides, start_pose=target.start_pose)
    except PreflightError as error:
        st.error(str(error))
        return
    verdict_banner(verdict, target.name)
    st.table(joint_table(verdict, target.column))
    units = "degrees" if state.use_degrees else "-100..100 range units"
    st.caption(
        f"Arm joints in {units}, the gripper 0..100 (0 closed). Delta = follower − {target.column}. Station mode: "
        f"**{state.mode}**."
    )


live_start_pose()
twin_target(client, target)

guided, automatic = st.columns(2, gap="large")

with guided:
    st.subheader("Guided reset with the leader")
    st.caption(
        "While mirroring, the follower copies the leader arm as `lerobot-teleoperate` does; move the leader until the "
        "verdict is GO."
    )

    @st.fragment(run_every=0.5)
    def mirror_switch() -> None:
        """Buttons, not a toggle: the station holds the truth (an emergency stop ends mirroring), and a click always
        registers."""
        state = client.state()
        if state.mode == "mirror":
            command_button(
                "Stop mirroring the leader", client.set_mirror, False, key="mirror_off", icon=":material/link_off:"
            )
            return
        why_not = (
            "This station has no leader arm."
            if state.leader_pos is None
            else "Emergency stop is latched: release it in the sidebar."
            if state.estopped
            else f"The arm is busy ({state.mode}): stop that first."
            if state.mode != "idle"
            else None
        )
        command_button(
            "Mirror the leader",
            client.set_mirror,
            True,
            key="mirror_on",
            icon=":material/link:",
            disabled=why_not is not None,
            help=why_not,
        )
        if state.leader_pos is not None:
            gap = max(
                abs(state.leader_pos[m] - state.follower_pos[m]) for m in state.follower_pos if m in state.leader_pos
            )
            st.caption(
                f"Mirroring starts by moving the follower to the leader, now up to {gap:.1f} away (the safety gate "
                "limits each step)."
            )

    mirror_switch()

    @st.fragment
    def leader_sliders() -> None:
        """Demo only: the simulated leader arm, moved by sliders instead of a hand."""
        state = client.state()
        st.caption("Simulated leader arm (in a real lab, move the leader by hand):")
        for motor, position in state.leader_pos.items():
            key = f"leader_{motor}"
            low, high = (
                math.ceil(state.joint_lower[motor] * 2) / 2,
                math.floor(state.joint_upper[motor] * 2) / 2,
            )  # on the 0.5 grid
            st.session_state.setdefault(key, min(max(round(position * 2) / 2, low), high))
            st.slider(
                motor, low, high, step=0.5, key=key, on_change=move_leader, args=(motor, key), disabled=read_only()
            )

    def move_leader(motor: str, key: str) -> None:
        station_action(client.set_leader, {motor: st.session_state[key]})

    if client.state().kind == "sim":
        leader_sliders()

with automatic:
    st.subheader("Automatic move home")
    st.caption(
        "A smooth, speed-limited move to the training mean start pose: the arm joints first with the gripper held as "
        "it is, then the gripper. Every step passes the station's joint limits and step limit; Stop (or the emergency "
        "stop) halts it at once."
    )
    st.number_input(
        "Largest joint speed (°/s)", 5.0, MAX_SPEED_DEG_S, DEFAULT_MAX_SPEED_DEG_S, step=5.0, key="home_speed"
    )

    @st.fragment(run_every=0.25)
    def move_home_controls() -> None:
        state = client.state()
        if state.mode == "move_home":
            progress = state.activity
            st.progress(
                progress.get("fraction", 0.0),
                text=(
                    f"Moving home at {progress.get('max_speed_deg_s', 0):.0f}°/s: {progress.get('elapsed_s', 0):.1f} "
                    f"of {progress.get('duration_s', 0):.1f} s, the furthest joint "
                    f"{progress.get('largest_remaining', 0):.1f} away"
                ),
            )
            command_button("Stop", client.stop_motion, key="stop_move", type="primary", icon=":material/stop_circle:")
            return
        why_not = (
            "Leader mirroring is on: turn it off first, or the leader and the move would fight."
            if state.mode == "mirror"
            else "Emergency stop is latched: release it in the sidebar."
            if state.estopped
            else f"The arm is busy ({state.mode})."
            if state.mode != "idle"
            else None
        )
        st.button(
            "Move home automatically",
            key="move_home",
            type="primary",
            icon=":material/home:",
            disabled=why_not is not None or read_only(),
            help=why_not,
            width="stretch",
            on_click=move_home_now,
        )
        if why_not:
            st.caption(why_not)

    move_home_controls()

with st.expander("Tolerances"):
    st.caption(
        f"Default per joint: the larger of {TOLERANCE_SIGMAS:.0f} × the training spread (std of the episodes' first "
        f"states) and a floor of {profile.joint_units.format(ARM_TOLERANCE_FLOOR * profile.joint_units.per_degree)} "
        f"for arm joints, {GRIPPER_TOLERANCE_FLOOR:.0f} for the "
        "gripper. Changes are saved for this training data and used by the Deploy page too."
    )
    defaults = {target.motor: target.tolerance for target in station_targets(profile)}

    @st.fragment
    def tolerance_editor() -> None:
        overrides = load_tolerance_overrides(ws, profile.name)
        for column, (motor, default) in zip(st.columns(len(defaults)), defaults.items()):
            st.session_state.setdefault(f"tolerance_{motor}", float(overrides.get(motor, default)))
            column.number_input(
                motor, min_value=0.5, max_value=200.0, step=0.5, key=f"tolerance_{motor}", on_change=save_tolerances
            )
        st.button("Reset to defaults", icon=":material/restart_alt:", on_click=reset_tolerances)

    def save_tolerances() -> None:
        chosen = {motor: st.session_state[f"tolerance_{motor}"] for motor in defaults}
        save_tolerance_overrides(ws, profile.name, {m: v for m, v in chosen.items() if abs(v - defaults[m]) > 1e-6})

    def reset_tolerances() -> None:
        save_tolerance_overrides(ws, profile.name, {})
        for motor in defaults:
            st.session_state.pop(f"tolerance_{motor}", None)

    tolerance_editor()
