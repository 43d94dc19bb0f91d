"""The scripted expert grabs the brain, judged from the simulator's state."""

from __future__ import annotations

import numpy as np

from core.sim.expert import GrabBrainExpert, Phase
from core.sim.recording import start_pose_near_home


def run_episode(lab, seed: int) -> bool:
    rng = np.random.default_rng(seed)
    lab.reset(start_pose_near_home(rng, 1.5), lab.faults.object_region.sample(rng))
    expert = GrabBrainExpert(lab, fps=30, rng=rng)
    phases = []
    while not expert.done:
        lab.set_targets(expert.next_action())
        lab.advance(1 / 30)
        phases.append(expert.phase)
    assert phases[0] is Phase.APPROACH and Phase.LIFT in phases
    return lab.brain().grasped_and_lifted


def test_expert_succeeds_in_at_least_9_of_10_seeded_episodes(lockstep_lab):
    successes = sum(run_episode(lockstep_lab, seed) for seed in range(10))
    assert successes >= 9


def test_a_brain_left_on_the_table_is_not_a_success(lockstep_lab):
    lockstep_lab.reset(brain_placement=(0.23, 0.0, 0.0))
    lockstep_lab.advance(0.5)
    brain = lockstep_lab.brain()
    assert not brain.grasped_and_lifted
    assert abs(brain.lifted_m) < 0.002
