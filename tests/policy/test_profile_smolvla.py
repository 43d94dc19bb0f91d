"""A SmolVLA checkpoint in the training profile: slots, rename map, backbone, language, chunking in seconds, RTC."""

from __future__ import annotations

from pathlib import Path

from core.training.profile import TrainingProfile, build_profile
from core.training.profile_summary import format_profile


def test_the_profile_shows_what_smolvla_needs(
    dataset_root: Path, smolvla_checkpoint: Path, backbone_dir: Path, tmp_path: Path
) -> None:
    profile = build_profile(dataset_root, smolvla_checkpoint.parents[2], reference_frames=False)  # the run folder
    assert profile.checkpoint.policy_type == "smolvla"
    text = format_profile(profile)
    assert f"- policy: smolvla ({smolvla_checkpoint})" in text
    assert "- chunk_size 50, n_action_steps 50 (1.67 s planned, 1.67 s executed per inference at 30 fps)" in text
    assert "- image keys: observation.images.camera1, observation.images.camera2" in text
    assert (
        "observation.images.front -> observation.images.camera1, observation.images.wrist -> observation.images.camera2"
        in text
    )
    assert (
        f"- task sentence: appends a newline, then tokenised by {backbone_dir.resolve()} (tokenizer max length 48, "
        "padding longest)" in text
    )
    assert f"- vision-language backbone {backbone_dir.resolve()} (config, processor, tokenizer): available" in text
    assert "- inference: sync, or RTC (real-time chunking)" in text
    assert TrainingProfile.load(profile.save(tmp_path / "profile.json")) == profile


def test_blank_slots_and_act_lines(dataset_root: Path, blank_slot_info, act_info) -> None:
    blank = format_profile(build_profile(dataset_root, blank_slot_info.path, reference_frames=False))
    assert "- empty_cameras 1: blank image slots no camera fills" in blank
    act = format_profile(build_profile(dataset_root, act_info.path, reference_frames=False))
    assert "- task sentence: not read by this policy" in act
    assert "- inference: sync only (no RTC for this policy type)" in act
    assert "vision-language backbone" not in act
