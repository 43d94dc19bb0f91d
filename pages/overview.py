"""Overview: what Preflight checks, which training data and policy it compares against, which station."""

from pathlib import Path

import streamlit as st

from app.context import active_profile, workspace
from app.conversion_panel import conversion_offer, remember_for_conversion
from app.hygiene_panel import hygiene_table
from core.errors import DatasetNeedsConversion, PreflightError
from core.sim.demo_policy import read_demo_marker
from core.station import launcher
from core.station.config import (
    REST_POSE_CHOICES,
    CameraSpec,
    StationConfig,
    describe_rest_pose,
    edited_station,
    list_stations,
)
from core.station.device_identity import bind_devices, device_bindings
from core.text import markdown_literal
from core.training.profile_summary import format_profile
from core.training.selection import Selection, load_selection, save_selection

st.title("Preflight")
st.markdown(
    "Gets a trained policy working on a real arm by checking, against the training data itself, what makes "
    "deployments fail outside the model: **the task sentence** and **chunk settings** (Deploy), **swapped cameras** "
    "(Cameras), **the start pose** (Home reset), **over-training** and **a changed scene** (Analytics)."
)

st.header("Training data and policy")
current = load_selection(workspace())
with st.form("selection"):
    dataset_dir = st.text_input(
        "Training dataset folder (LeRobot v3.0, the folder that holds meta/)",
        value=current.dataset_dir if current else "",
    )
    policy_dir = st.text_input(
        "Policy checkpoint folder (optional: pretrained_model/ or a lerobot-train output)",
        value=(current.policy_dir or "") if current else "",
    )
    if st.form_submit_button("Use these folders", type="primary"):
        selection = Selection(dataset_dir.strip(), policy_dir.strip() or None)
        try:
            from core.training.selection import profile_of

            profile_of(selection, workspace())
            save_selection(workspace(), selection)
            st.rerun()
        except DatasetNeedsConversion as error:
            st.error(str(error))
            remember_for_conversion(error.root, selection.policy_dir)
        except PreflightError as error:
            st.error(str(error))
conversion_offer()

profile = active_profile()
if profile is not None:
    demo = read_demo_marker(Path(profile.checkpoint.path)) if profile.checkpoint is not None else None
    if demo is not None and not demo.trained:
        st.warning(f"**Untrained demo checkpoint.** {demo.note}", icon=":material/school:")
    for warning in profile.warnings:
        st.warning(markdown_literal(warning))  # warnings quote dataset strings: shown as text
    with st.expander("Reference frames", expanded=True):
        if not profile.cameras:
            st.caption("The training dataset has no cameras: the camera-role and scene checks are off.")
        for camera in profile.cameras:
            st.caption(camera.name)
            if camera.reference_frames:
                st.image([frame.jpeg() for frame in camera.reference_frames], width=180)
            else:
                st.caption(f"No reference frames: {camera.frames_unavailable or 'profiled without frames'}.")
    st.markdown(format_profile(profile, literal=markdown_literal))  # a task from the data is never markdown
    hygiene_table(profile)

st.header("Stations")
ws = workspace()
for name in list_stations(ws):
    config = StationConfig.load(ws, name)
    wiring = ", ".join(
        f"{camera.name} → {camera.device} ({camera.width}x{camera.height}@{camera.fps})" for camera in config.cameras
    )
    arm = (
        "simulated SO-101 lab"
        if config.is_sim
        else f"SO-101 on {config.robot_port}"
        + (f", leader on {config.leader_port}" if config.leader_port else ", no leader")
    )
    st.markdown(
        f"**{name}**: {arm}; cameras {wiring}; {config.fps} fps; max step {config.max_relative_target} per tick"
    )

with st.expander("Add or edit a real SO-101 station"):
    real = [name for name in list_stations(ws) if not StationConfig.load(ws, name).is_sim]
    editing = st.selectbox(
        "Station", ["New station", *real], help="Saving keeps every setting this form does not show."
    )
    saved = StationConfig.load(ws, editing) if editing in real else None
    first_camera = saved.cameras[0] if saved and saved.cameras else CameraSpec("front", "/dev/video0")
    with st.form("station"):
        name = st.text_input("Station name", value=saved.name if saved else "lab", disabled=saved is not None)
        robot_port = st.text_input(
            "Follower serial port",
            value=saved.robot_port if saved else "/dev/ttyACM0",
            help="`lerobot-find-port` tells which one.",
        )
        leader_port = st.text_input(
            "Leader serial port (empty: no leader arm)", value=saved.leader_port if saved else "/dev/ttyACM1"
        )
        cameras = st.text_area(
            "Cameras, one per line: name=device (device: /dev/videoN or an index)",
            value="\n".join(f"{c.name}={c.device}" for c in saved.cameras)
            if saved
            else "front=/dev/video0\nwrist=/dev/video2",
        )
        width, height, fps = st.columns(3)
        width_px = width.number_input("Width", value=first_camera.width, step=1)
        height_px = height.number_input("Height", value=first_camera.height, step=1)
        station_fps = fps.number_input("FPS", value=saved.fps if saved else 30, step=1)
        max_step = st.number_input(
            "Max joint step per tick (degrees)",
            value=float(saved.max_relative_target or 10.0) if saved else 10.0,
            min_value=0.5,
            max_value=45.0,
        )
        rest_left, torque_right = st.columns(2)
        rest_choice = rest_left.selectbox(
            f"Rest pose (saved: {describe_rest_pose(saved.rest_pose if saved else None)})",
            list(REST_POSE_CHOICES),
            format_func=REST_POSE_CHOICES.get,
            help="Where the arm parks before the station stops and lets go (docs/station.md, Stopping).",
        )
        torque_release = torque_right.selectbox(
            "Torque after the station stops",
            ["at_rest", "never"],
            index=["at_rest", "never"].index(saved.torque_release) if saved else 0,
            format_func={"at_rest": "Released at the rest pose", "never": "Never released"}.get,
        )
        if st.form_submit_button("Save station"):
            try:
                specs = tuple(
                    CameraSpec(
                        line.split("=", 1)[0].strip(),
                        line.split("=", 1)[1].strip(),
                        int(width_px),
                        int(height_px),
                        int(station_fps),
                    )
                    for line in cameras.splitlines()
                    if "=" in line
                )
                station_name = saved.name if saved else name.strip()
                existing = StationConfig.load(ws, station_name) if station_name in list_stations(ws) else None
                follower_now = None
                if rest_choice == "follower" and (client := launcher.connect(station_name, ws)) is not None:
                    follower_now = client.state().follower_pos  # where the running station's arm is now
                    client.close()
                config = bind_devices(  # each device bound to the by-id / by-path link it has now
                    edited_station(
                        existing,
                        station_name,
                        specs,
                        robot_port=robot_port.strip(),
                        leader_port=leader_port.strip(),
                        fps=int(station_fps),
                        max_relative_target=float(max_step),
                        torque_release=torque_release,
                        rest_pose=rest_choice,
                        follower_now=follower_now,
                    )
                )
                config.save(ws)
                st.success(f"Saved station '{station_name}'. Select it in the sidebar and start it.")
                unbound = [binding.role for binding in device_bindings(config) if not binding.bound]
                if unbound:
                    st.warning(
                        f"Not bound by identity (no /dev/v4l or /dev/serial link points at it now): "
                        f"{', '.join(unbound)}. A replug there goes unnoticed."
                    )
            except (PreflightError, IndexError, ValueError) as error:
                st.error(f"Could not save the station: {error}")
