"""The tiny SmolVLA's CPU cost, against a tiny ACT of the same chunking on the same dataset (the baseline).

Both policies are built offline in a temporary folder (a stand-in SmolVLM backbone for
SmolVLA; ACT as `tests/builders.py` makes it), with chunk_size 50 and n_action_steps 50, and
run on station-shaped frames (two 320x240 cameras, as the simulated follower gives them),
through lerobot's own preprocessor, policy and postprocessor. Figures, each the median of
repeated calls after a warm-up, at 1 and 2 torch threads:
  (a) one chunk: `predict_action_chunk` (what RTC calls in its thread, and sync every 50 frames)
  (b) one control frame with sync inference: preprocess + `select_action` + postprocess,
      median and worst over 100 frames (the worst includes a chunk)
plus the build time of the backbone and checkpoint, and the language check (the first call
loads the tokenizer, later ones are cached).
Target: (a) under 100 ms at 1 thread, so RTC keeps ahead of a 30 fps loop with a 50-action chunk.

Usage: .venv/bin/python bench/smolvla_bench.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import core  # noqa: F401  (HF_HUB_OFFLINE)
from core.policy.checkpoint import read_checkpoint
from core.policy.task_check import model_view
from testkit.builders import EpisodeData, write_act_checkpoint, write_dataset
from testkit.smolvla_standin import write_smolvla_checkpoint, write_standin_backbone

TASK = "Grab the brain"
FRAME_SHAPE = (240, 320, 3)


def main() -> int:
    import torch

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        t = np.arange(12, dtype=np.float64)[:, None]
        state = np.array([0.0, -95.0, 95.0, 70.0, -50.0, 2.0]) + 0.5 * t
        dataset = write_dataset(folder / "dataset", [EpisodeData(TASK, state, state + 1.0)] * 2)
        started = time.perf_counter()
        backbone = write_standin_backbone(folder / "backbone", tasks=[TASK])
        backbone_s = time.perf_counter() - started
        started = time.perf_counter()
        smolvla = write_smolvla_checkpoint(folder / "smolvla", dataset, backbone)
        checkpoint_s = time.perf_counter() - started
        act = write_act_checkpoint(folder / "act", dataset, steps=100, batch_size=8, chunk_size=50, n_action_steps=50)
        print(f"built the stand-in backbone in {backbone_s:.1f} s, the SmolVLA checkpoint in {checkpoint_s:.1f} s")
        print(
            f"model.safetensors: SmolVLA {(smolvla / 'model.safetensors').stat().st_size / 1e6:.1f} MB, ACT "
            f"{(act / 'model.safetensors').stat().st_size / 1e6:.1f} MB"
        )

        policies = {"smolvla": load(smolvla), "act (baseline)": load(act)}
        rng = np.random.default_rng(0)
        frame = {
            "observation.state": state[0].astype(np.float32),
            "observation.images.front": rng.integers(0, 255, FRAME_SHAPE, dtype=np.uint8),
            "observation.images.wrist": rng.integers(0, 255, FRAME_SHAPE, dtype=np.uint8),
        }
        print(f"{'threads':>7} {'policy':<15} {'(a) chunk ms':>12} {'(b) frame ms':>12} {'worst frame ms':>14}")
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for name, run in policies.items():
                chunk_ms = median_ms(lambda run=run: run(frame, chunk=True), repeats=15)
                frames = [timed_ms(lambda run=run: run(frame, chunk=False)) for _ in range(100)]
                print(
                    f"{threads:>7} {name:<15} {chunk_ms:>12.1f} {statistics.median(frames):>12.1f} {max(frames):>14.1f}"
                )

        info = read_checkpoint(smolvla)
        first_ms = timed_ms(lambda: model_view(info, TASK, f"{TASK} "))
        cached_ms = median_ms(lambda: model_view(info, TASK, f"{TASK} "), repeats=20)
        print(f"language check: first call {first_ms:.0f} ms (loads the tokenizer), then {cached_ms:.2f} ms")
    return 0


def load(checkpoint: Path) -> Callable[..., object]:
    """lerobot's loading path of the rollout; returns run(frame, chunk) -> actions."""
    import torch
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors
    from lerobot.policies.utils import prepare_observation_for_inference

    config = PreTrainedConfig.from_pretrained(checkpoint)
    if hasattr(config, "pretrained_backbone_weights"):
        config.pretrained_backbone_weights = None
    policy = get_policy_class(config.type).from_pretrained(checkpoint, config=config).eval()
    rename = {
        "observation.images.front": "observation.images.camera1",
        "observation.images.wrist": "observation.images.camera2",
    }
    preprocessor, postprocessor = make_pre_post_processors(
        config,
        pretrained_path=checkpoint,
        preprocessor_overrides={
            "rename_observations_processor": {"rename_map": rename if config.type == "smolvla" else {}}
        },
    )

    def run(frame: dict, chunk: bool) -> object:
        with torch.inference_mode():
            batch = preprocessor(
                prepare_observation_for_inference(dict(frame), torch.device("cpu"), TASK, "preflight_sim_follower")
            )
            if chunk:
                return policy.predict_action_chunk(batch)
            return postprocessor(policy.select_action(batch))

    for _ in range(3):
        run(
            {"observation.state": np.zeros(6, dtype=np.float32)}
            | {k: np.zeros(FRAME_SHAPE, np.uint8) for k in ("observation.images.front", "observation.images.wrist")},
            True,
        )
    return run


def timed_ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def median_ms(call: Callable[[], object], repeats: int) -> float:
    call()
    return statistics.median(timed_ms(call) for _ in range(repeats))


if __name__ == "__main__":
    raise SystemExit(main())
