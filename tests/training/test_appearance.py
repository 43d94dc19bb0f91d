"""The appearance signature on synthetic scenes: robust to lighting, pose and small moves, not to a new scene."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core import codec
from core.training.appearance import AppearanceSignature, signature_of, similarity


def scene(
    seed: int, object_shift_px: int = 0, arm_angle_rad: float = 0.3, height: int = 240, width: int = 320
) -> np.ndarray:
    """A table-top scene: a shaded background, eight coloured boxes and an arm from the bottom edge."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width]
    shading_angle = rng.uniform(0, 2 * np.pi)
    image = np.empty((height, width, 3))
    image[:] = rng.uniform(60, 140, 3)
    image += ((np.cos(shading_angle) * cols + np.sin(shading_angle) * rows) / width * 40)[..., None]
    for box in range(8):
        top, left = rng.integers(0, height - 50), rng.integers(0, width - 50)
        box_height, box_width = rng.integers(15, 75, 2)
        left += object_shift_px if box == 0 else 0
        image[top : top + box_height, left : left + box_width] = rng.uniform(20, 230, 3)
    length = 0.5 * height
    tip_col, tip_row = width / 2 + length * np.sin(arm_angle_rad), height - length * np.cos(arm_angle_rad)
    distance = np.abs((rows - height) * (tip_col - width / 2) - (cols - width / 2) * (tip_row - height)) / length
    image[(distance < 8) & (rows > tip_row)] = (200, 200, 210)
    return np.clip(image, 0, 255).astype(np.uint8)


def brightness(image: np.ndarray, gain: float, offset: float) -> np.ndarray:
    return np.clip(image * gain + offset, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def reference() -> AppearanceSignature:
    return signature_of(scene(1))


@pytest.mark.parametrize(
    "variant",
    [
        brightness(scene(1), 0.5, 0),
        brightness(scene(1), 0.7, 40),
        brightness(scene(1), 1.3, -20),
        scene(1, object_shift_px=15),
        scene(1, arm_angle_rad=-0.4),
        brightness(scene(1, object_shift_px=15, arm_angle_rad=-0.4), 0.6, 10),
    ],
    ids=["darker", "dimmer-lifted", "more-contrast", "object-moved", "arm-elsewhere", "all-together"],
)
def test_the_same_scene_scores_above_every_other_scene(reference: AppearanceSignature, variant: np.ndarray) -> None:
    same = similarity(reference, signature_of(variant))
    others = [similarity(reference, signature_of(scene(seed))) for seed in (2, 3, 4, 5)]
    assert same > max(others) + 0.1


def test_brightness_gain_changes_little_by_construction(reference: AppearanceSignature) -> None:
    # invariant in exact arithmetic; 8-bit rounding of the faint background shading costs a little
    assert similarity(reference, signature_of(brightness(scene(1), 0.5, 0))) > 0.95
    assert similarity(reference, signature_of(brightness(scene(1), 0.9, 0))) > 0.99


def test_an_image_is_identical_to_itself_and_unlike_its_upside_down(reference: AppearanceSignature) -> None:
    assert similarity(reference, reference) == pytest.approx(1.0)
    assert similarity(reference, signature_of(scene(1)[::-1].copy())) < 0.8


def test_the_signature_is_small_and_survives_json(reference: AppearanceSignature) -> None:
    assert len(reference.edges) + len(reference.colour) < 400
    assert codec.from_json(AppearanceSignature, codec.to_json(reference)) == reference


def test_any_image_size_gives_comparable_signatures(reference: AppearanceSignature) -> None:
    large = np.asarray(Image.fromarray(scene(1)).resize((640, 480), Image.BILINEAR))
    assert similarity(reference, signature_of(large)) > 0.95
