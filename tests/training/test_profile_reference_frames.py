"""Reference frames are the first frame of episodes spread over the dataset, decoded from the mp4 files."""

from __future__ import annotations

import numpy as np

from core.training.appearance import signature_of, similarity
from core.training.profile import TrainingProfile
from testkit.builders import camera_image
from tests.training.conftest import LENGTHS


def test_each_camera_keeps_resolution_fps_and_four_reference_frames(profile: TrainingProfile) -> None:
    assert [c.name for c in profile.cameras] == ["front", "wrist"]
    for camera in profile.cameras:
        assert (camera.width_px, camera.height_px, camera.fps) == (64, 48, 30.0)
        assert [f.episode_index for f in camera.reference_frames] == [0, 1, 2, 3]


def test_reference_frame_is_the_episodes_first_frame(profile: TrainingProfile) -> None:
    for camera in profile.cameras:
        for reference in camera.reference_frames:
            image = reference.image().astype(np.float64)
            assert image.shape == (48, 64, 3)
            candidates = {
                (episode, frame): np.abs(image - camera_image(camera.name, episode, frame)).mean()
                for episode, length in enumerate(LENGTHS)
                for frame in range(length)
            }
            assert min(candidates, key=candidates.get) == (reference.episode_index, 0)


def test_signatures_tell_the_front_view_from_the_wrist_view(profile: TrainingProfile) -> None:
    front, wrist = profile.camera("front"), profile.camera("wrist")
    live_front = signature_of(camera_image("front", 1, 6))
    live_wrist = signature_of(camera_image("wrist", 1, 6))
    for reference in front.reference_frames:
        assert similarity(reference.signature, live_front) > similarity(reference.signature, live_wrist)
    for reference in wrist.reference_frames:
        assert similarity(reference.signature, live_wrist) > similarity(reference.signature, live_front)
