"""A compact appearance signature of a camera image, and a similarity between two signatures.

Used to tell whether a live camera shows what its training role showed (front vs wrist, after
a cable swap) and whether the scene drifted from training. It must shrug off what changes
between sessions without changing the task: global lighting, an object moved a little, the arm
in another pose. So it describes coarse structure, made invariant to brightness by construction:

- edges: the image is reduced to 64x48; per 8x8 cell a histogram of gradient orientations
  (6 unsigned bins, weighted by gradient magnitude), each cell divided by the gradient energy
  of its 3x3 cell neighbourhood. Gradients ignore a brightness offset and the local division
  cancels any gain, so `a * image + b` gives the same edges (up to 8-bit clipping).
- colour: a 4x4 histogram of chromaticity (r, g) = (R, G) / (R + G + B) over pixels brighter
  than a tenth of the mean; dividing by R + G + B cancels a global gain.

`similarity` = 0.8 x max(0, Pearson correlation of the edges) + 0.2 x histogram intersection of
the colours, in 0..1. Pearson (not cosine) so that two unrelated images score near 0, not 0.6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

METHOD = "hog64x48c8o6+chroma4"
SIZE_PX = (64, 48)  # width, height after reduction
CELL_PX = 8
ORIENTATIONS = 6
CHROMA_BINS = 4
EDGE_WEIGHT = 0.8
DECIMALS = 4


LUMA = np.array([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class AppearanceSignature:
    method: str
    edges: tuple[float, ...]  # rows x cols x orientations, row-major
    colour: tuple[float, ...]  # CHROMA_BINS x CHROMA_BINS chromaticity histogram, sums to 1 (or all 0)


def signature_of(image_rgb: np.ndarray) -> AppearanceSignature:
    """The signature of an (H, W, 3) uint8 RGB image, any size."""
    small = _reduce(np.asarray(image_rgb))
    return AppearanceSignature(
        method=METHOD,
        edges=tuple(np.round(_edge_histograms(small), DECIMALS).tolist()),
        colour=tuple(np.round(_chromaticity_histogram(small), DECIMALS).tolist()),
    )


def similarity(a: AppearanceSignature, b: AppearanceSignature) -> float:
    """How alike two images look, 0..1 (1: same structure and colours)."""
    if a.method != b.method:
        raise ValueError(f"Signatures made by different methods ({a.method} vs {b.method}): recompute the older one.")
    edges = _pearson(np.asarray(a.edges), np.asarray(b.edges))
    colour = float(np.minimum(np.asarray(a.colour), np.asarray(b.colour)).sum())
    return EDGE_WEIGHT * max(0.0, edges) + (1 - EDGE_WEIGHT) * colour


def _reduce(image_rgb: np.ndarray) -> np.ndarray:
    """Area-average to SIZE_PX in floating point (8-bit rounding would swamp faint gradients)."""
    channels = [
        np.asarray(Image.fromarray(image_rgb[..., c].astype(np.float32), mode="F").resize(SIZE_PX, Image.BOX))
        for c in range(3)
    ]
    return np.stack(channels, axis=2).astype(np.float64)


def _edge_histograms(rgb: np.ndarray) -> np.ndarray:
    gray = rgb @ np.array([0.299, 0.587, 0.114])
    gy, gx = np.gradient(gray)
    magnitude = np.hypot(gx, gy)
    orientation = np.mod(np.arctan2(gy, gx), np.pi)  # unsigned: a dark-to-light edge equals light-to-dark
    bins = np.minimum((orientation / np.pi * ORIENTATIONS).astype(int), ORIENTATIONS - 1)
    rows, cols = gray.shape[0] // CELL_PX, gray.shape[1] // CELL_PX
    cell_of_pixel = (np.arange(gray.shape[0]) // CELL_PX)[:, None] * cols + (np.arange(gray.shape[1]) // CELL_PX)[
        None, :
    ]
    hist = np.bincount(
        (cell_of_pixel * ORIENTATIONS + bins).ravel(), weights=magnitude.ravel(), minlength=rows * cols * ORIENTATIONS
    ).reshape(rows, cols, ORIENTATIONS)
    energy = (hist**2).sum(axis=2)
    padded = np.pad(energy, 1, mode="edge")
    neighbourhood = sum(padded[i : i + rows, j : j + cols] for i in range(3) for j in range(3))
    floor = 0.1 * float(np.sqrt(neighbourhood).mean()) + 1e-12  # scales with gain, so invariance holds
    return (hist / (np.sqrt(neighbourhood) + floor)[:, :, None]).ravel()


def _chromaticity_histogram(rgb: np.ndarray) -> np.ndarray:
    total = rgb.sum(axis=2)
    lit = total > 0.1 * total.mean()
    if not lit.any():
        return np.zeros(CHROMA_BINS * CHROMA_BINS)
    r = rgb[..., 0][lit] / total[lit]
    g = rgb[..., 1][lit] / total[lit]
    hist, _, _ = np.histogram2d(r, g, bins=CHROMA_BINS, range=((0, 1), (0, 1)))
    return (hist / hist.sum()).ravel()


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


def luminance(image: np.ndarray) -> float:
    """Mean brightness 0..255 (Rec. 601 luma), the number a lighting change moves."""
    return float(np.asarray(image, dtype=np.float64).reshape(-1, 3).mean(axis=0) @ LUMA)
