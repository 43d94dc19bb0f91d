"""Cameras: live feeds beside the training frames of each role, the role check, and the swap."""

import streamlit as st

from app.camera_views import arm_at_start_pose, feed_status, finding_banner, live_feed
from app.context import active_selection, profile_or_stop, station_or_stop
from app.control import read_only
from app.station_panel import command_button
from core.deploy.live_views import judge_live_views
from core.errors import PreflightError, StationError
from core.policy.camera_slots import propose_camera_slots
from core.policy.checkpoint import read_checkpoint
from core.rules.device_identity import judge_device_identity
from core.station.devices import discover_cameras

st.title("Cameras")
st.caption(
    "Each live camera must show what its role showed in training: swapped cables send the arm to the wrong place."
)
profile = profile_or_stop()
client = station_or_stop("to see its cameras", icon=":material/videocam_off:")

station_name = client.name
roles = [camera.name for camera in profile.cameras]


@st.fragment(run_every=2.0)
def role_check_panel() -> None:
    try:
        state = client.state()
        live = judge_live_views(client, state, profile, at_start_pose=arm_at_start_pose(state, profile))
    except StationError as error:
        st.error(str(error))
        return
    check, mapping = live.roles, state.camera_mapping
    finding_banner(live.camera_swap)
    finding_banner(live.visual_shift)
    if state.device_bindings:  # a real station's cameras and arms against the identities they were bound to
        finding_banner(judge_device_identity(state.device_bindings, state.name))
    swap_to = (check.fix_mapping if check else None) or (
        dict(zip(mapping, reversed(mapping.values()))) if len(mapping) == 2 else None
    )
    if swap_to:
        swapped = live.camera_swap.severity == "critical"
        command_button(
            "Swap cameras",
            client.set_camera_mapping,
            swap_to,
            done=f"Camera mapping is now {swap_to}",
            type="primary" if swapped else "secondary",
            icon=":material/swap_horiz:",
            help=f"Set the mapping to {swap_to}",
            width="content",
        )
    if check:
        st.caption("Match score of each live feed (rows) against each training role (columns), 0..1:")
        st.dataframe({feed: check.scores[feed] for feed in check.scores}, width="content")


role_check_panel()

for role in roles:
    st.subheader(role)
    live, reference = st.columns([1, 1])
    with live:
        st.caption(f"Live: station camera '{role}'")
        live_feed(station_name, role)
    with reference:
        camera = profile.camera(role)
        if camera.frames_unavailable:
            st.warning(f"No training frames of {role}: {camera.frames_unavailable}. Its role and scene checks are off.")
        else:
            st.caption(f"Training: first frames of {len(camera.reference_frames)} episodes")
            st.image([frame.jpeg() for frame in camera.reference_frames], width=160)


@st.fragment(run_every=1.0)
def feed_statuses() -> None:
    state = client.state()
    for role, column in zip(roles, st.columns(len(roles))):
        column.markdown(f"**{role}**: " + feed_status(state.camera(role)))


st.subheader("Feed health")
feed_statuses()

selection = active_selection(required=False)
if selection is not None and selection.policy_dir:
    st.subheader("Policy camera slots")
    try:
        checkpoint = read_checkpoint(selection.policy_dir)
        slots = propose_camera_slots(checkpoint, list(client.state().camera_mapping), [c.key for c in profile.cameras])
        st.caption(slots.explanation)
        st.dataframe(
            [
                {
                    "policy slot": s.slot,
                    "station camera": ", ".join(c.removeprefix("observation.images.") for c in s.cameras) or "—",
                    "status": s.state,
                    "in training": s.trained_from or "",
                    "note": s.note,
                }
                for s in slots.slots
            ],
            hide_index=True,
            width="stretch",
        )
        for problem in slots.problems:
            st.error(problem.message)
    except PreflightError as error:
        st.error(str(error))

with st.expander("Camera mapping and devices"):
    state = client.state()
    if st.button(
        "Find cameras on this machine",
        help="Lists the simulated devices, or every /dev/video* device lerobot's OpenCVCamera can open.",
    ):
        st.session_state["camera_devices"] = discover_cameras(state.kind)
    found = st.session_state.get("camera_devices", [])
    devices = sorted({*state.camera_mapping.values(), *(device.id for device in found)})
    with st.form("mapping"):
        chosen = {
            name: st.selectbox(name, devices, index=devices.index(device))
            for name, device in state.camera_mapping.items()
        }
        if st.form_submit_button("Apply mapping", disabled=read_only()):
            try:
                client.set_camera_mapping(chosen)
                st.success(f"Camera mapping saved: {chosen}")
            except StationError as error:
                st.error(str(error))
    if found:
        st.dataframe([device.__dict__ for device in found], width="stretch")
