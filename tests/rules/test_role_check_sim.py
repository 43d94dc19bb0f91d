"""The camera role check on rendered frames of the simulated lab, against the demo training set's own frames.

Reference frames come from the demo dataset's videos (as a lab's training data would give
them); live frames are rendered by the lab under the variations a real deployment brings.
"""

from __future__ import annotations

import pytest

from core.rules.camera_roles import check_roles, references_of, signatures_of
from core.rules.scene import judge_scene, reference_frames, scene_view
from core.sim import faults
from core.sim.lab import SIM_HOME_POSE, Clock, SimLab
from core.training.profile import build_profile

WIRING = {"front": "sim:cam0", "wrist": "sim:cam1"}
REACHING = {**SIM_HOME_POSE, "shoulder_lift": -40.0, "elbow_flex": 40.0, "wrist_flex": 70.0, "gripper": 40.0}


@pytest.fixture(scope="module")
def references(demo_assets):
    return references_of(build_profile(demo_assets.dataset_root))


@pytest.fixture
def lab():
    lab = SimLab("role-check", Clock.LOCKSTEP, seed=7)
    lab.reset()
    yield lab
    lab.close()


def judge(lab: SimLab, references):
    lab.advance(0.2)
    live = {name: signatures_of([lab.render_now(device, 320, 240)]) for name, device in WIRING.items()}
    return check_roles(live, references, WIRING)


VARIATIONS = {
    "as in training": lambda lab: None,
    "dim lights, green table": lambda lab: faults.change_scene_look(lab),
    "object moved": lambda lab: faults.move_object_distribution(lab),
    "arm reaching, gripper open": lambda lab: lab.reset(start_pose=REACHING),
    "all at once": lambda lab: (
        lab.reset(start_pose=REACHING),
        faults.change_scene_look(lab),
        faults.move_object_distribution(lab),
    ),
}


@pytest.mark.parametrize("variation", VARIATIONS)
def test_correct_wiring_stays_ok(lab, references, variation):
    VARIATIONS[variation](lab)
    check = judge(lab, references)
    assert check.verdict == "ok", check.scores


@pytest.mark.parametrize("variation", VARIATIONS)
def test_swapped_cables_are_flagged_with_the_mapping_that_fixes_them(lab, references, variation):
    VARIATIONS[variation](lab)
    faults.swap_camera_cables(lab)
    check = judge(lab, references)
    assert check.verdict == "swapped", check.scores
    assert check.best_assignment == {"front": "wrist", "wrist": "front"}
    assert check.fix_mapping == {"front": "sim:cam1", "wrist": "sim:cam0"}


def test_a_covered_lens_is_unrecognised(lab, references):
    live = {
        "front": signatures_of([lab.render_now("sim:cam0", 320, 240) * 0]),
        "wrist": signatures_of([lab.render_now("sim:cam1", 320, 240)]),
    }
    check = check_roles(live, references, WIRING)
    assert check.verdict == "unrecognised" and check.unrecognised == ("front",)


def judge_look(lab: SimLab, profile, at_start_pose: bool = True):
    lab.advance(0.2)
    views = {
        name: [scene_view(lab.render_now(device, 320, 240), at_start_pose=at_start_pose)]
        for name, device in WIRING.items()
    }
    return judge_scene(reference_frames(profile, views), views)


@pytest.fixture(scope="module")
def demo_profile(demo_assets):
    return build_profile(demo_assets.dataset_root)


@pytest.mark.parametrize("variation", ["as in training", "object moved"])
def test_the_scene_rule_stays_quiet_on_the_training_scene(lab, demo_profile, variation):
    VARIATIONS[variation](lab)
    assert judge_look(lab, demo_profile).severity == "ok"


def test_the_scene_rule_flags_dim_lights_and_a_green_table(lab, demo_profile):
    faults.change_scene_look(lab)
    finding = judge_look(lab, demo_profile)
    assert finding.severity == "warning" and set(finding.evidence.numbers["shifted"]) == {"front", "wrist"}


def test_an_arm_away_from_the_start_pose_is_left_to_the_start_pose_rule(lab, demo_profile):
    """The wrist camera sees another picture when the arm is elsewhere: one cause, one finding."""
    lab.reset(start_pose=REACHING)
    assert judge_look(lab, demo_profile, at_start_pose=False).severity == "ok"
