"""The preflight gate shows a real station's device identities and calibration files: a replugged camera and an
inverted follower range block the run, a narrow range and a disagreeing leader warn, a sane station and the
simulated lab add nothing to fix.

Fakes only at the hardware boundary (testkit/lab_hardware.py): a fake /dev tree in tmp_path and lerobot's SO-101
classes reading real calibration files behind a MagicMock bus;
the station snapshot is built as the station publishes it.
"""

from __future__ import annotations

import dataclasses

import pytest

from core.deploy.gate import Preflight, run_preflight
from core.policy.checkpoint import read_checkpoint
from core.so101 import MOTOR_NAMES
from core.station.device_identity import bind_devices, device_bindings
from core.station.state import LoopStats, StationState
from testkit.lab_hardware import SANE, lab, lab_wiring, plug, station_calibrations
from tests.analytics.conftest import (  # noqa: F401  (the rules' training set, profile and checkpoint)
    HOME,
    TASK,
    data_dir,
    profile,
    sane_checkpoint,
    train_run_dir,
    training_dir,
)

STATION_CHECKS = ("device_identity", "calibration_range", "calibration_pair")


def snapshot(kind: str = "so101", **changes) -> StationState:
    """A station at the training start pose with the training cameras, as the station publishes it."""
    state = StationState(
        name="lab",
        kind=kind,
        mode="idle",
        estopped=False,
        follower_pos=dict(zip(MOTOR_NAMES, map(float, HOME))),
        leader_pos=None,
        last_sent=None,
        cameras=(),
        camera_mapping={"front": "/dev/video0", "wrist": "2"},
        loop=LoopStats(33.3, 33.3, 34.0, 35.0, 100, 0),
        fps=30,
        use_degrees=True,
        joint_lower={m: -180.0 for m in MOTOR_NAMES},
        joint_upper={m: 180.0 for m in MOTOR_NAMES},
        published_at=0.0,
    )
    return dataclasses.replace(state, **changes)


def gate(profile, checkpoint, state: StationState) -> Preflight:  # noqa: F811
    return run_preflight(task=TASK, profile=profile, checkpoint=read_checkpoint(checkpoint), state=state, client=None)


@pytest.fixture
def bound(tmp_path):
    """The lab's devices bound when the config was saved, and the fake /dev they were bound in."""
    root = plug(tmp_path / "root", lab_wiring())
    return bind_devices(lab(), root), root


def test_the_simulated_lab_gets_no_device_or_calibration_finding(profile, sane_checkpoint):  # noqa: F811
    statuses = gate(profile, sane_checkpoint, snapshot("sim")).statuses
    assert not set(STATION_CHECKS) & set(statuses)


def test_a_sane_real_station_passes_both_checks(tmp_path, bound, profile, sane_checkpoint):  # noqa: F811
    config, root = bound
    state = snapshot(
        device_bindings=device_bindings(config, root), calibrations=station_calibrations(tmp_path, SANE, leader=SANE)
    )
    preflight = gate(profile, sane_checkpoint, state)
    assert {check: preflight.statuses[check] for check in STATION_CHECKS} == dict.fromkeys(STATION_CHECKS, "pass")


def test_swapped_cameras_block_the_run(tmp_path, bound, profile, sane_checkpoint):  # noqa: F811
    config, root = bound
    plug(root, lab_wiring(front="video2", wrist="video0"))
    state = snapshot(device_bindings=device_bindings(config, root), calibrations=station_calibrations(tmp_path, SANE))
    preflight = gate(profile, sane_checkpoint, state)
    assert [finding.id for finding in preflight.blocking(task_override=True)] == ["device_identity"]
    assert "/dev/video0 is now /dev/v4l/by-id/" in preflight.finding("device_identity").evidence.sentence


def test_an_inverted_range_blocks_and_suspicious_calibrations_warn(tmp_path, profile, sane_checkpoint):  # noqa: F811
    inverted = station_calibrations(tmp_path / "inverted", {**SANE, "wrist_roll": (4000, 10)})
    assert [f.id for f in gate(profile, sane_checkpoint, snapshot(calibrations=inverted)).blocking()] == [
        "calibration_range"
    ]
    suspicious = station_calibrations(
        tmp_path / "suspicious", {**SANE, "elbow_flex": (1000, 3000)}, leader={**SANE, "shoulder_pan": (500, 3000)}
    )
    preflight = gate(profile, sane_checkpoint, snapshot(calibrations=suspicious))
    assert not preflight.blocking()
    assert (preflight.statuses["calibration_range"], preflight.statuses["calibration_pair"]) == ("warn", "warn")
