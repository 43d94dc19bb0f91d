"""Bench only (PREFLIGHT_STAMP_FRAMES=1): the capture time stamped into the JPEGs a station streams to pages.

The stamp is one row of CELLS black or white cells, at least 8x8 pixels, across the top of the image: the capture
time in unix milliseconds modulo 2**32 (32 cells, most significant first), then an 8-bit check.
"""

from __future__ import annotations

import os

import numpy as np

STAMP_ENV = "PREFLIGHT_STAMP_FRAMES"
TIME_BITS = 32
CHECK_BITS = 8
CELLS = TIME_BITS + CHECK_BITS
MIN_CELL_PX = 8


def enabled() -> bool:
    return os.environ.get(STAMP_ENV) == "1"


def cell_size(width: int) -> int:
    size = width // CELLS
    if size < MIN_CELL_PX:
        raise ValueError(f"A frame stamp needs an image at least {CELLS * MIN_CELL_PX} pixels wide; got {width}.")
    return size


def _check(value: int) -> int:
    return (value ^ (value >> 8) ^ (value >> 16) ^ (value >> 24) ^ 0xA5) & 0xFF


def _bits(unix_ms: int) -> list[int]:
    value = unix_ms % 2**TIME_BITS
    word = (value << CHECK_BITS) | _check(value)
    return [(word >> (CELLS - 1 - index)) & 1 for index in range(CELLS)]


def stamp(image: np.ndarray, unix_ms: int) -> None:
    """Write the stamp into the top rows of `image` (H x W x C, uint8), in place."""
    size = cell_size(image.shape[1])
    for index, bit in enumerate(_bits(unix_ms)):
        image[:size, index * size : (index + 1) * size] = 255 if bit else 0


def read(image: np.ndarray) -> int | None:
    """The stamped time modulo 2**32 (ms), or None when the image carries no valid stamp."""
    size = cell_size(image.shape[1])
    margin = size // 4
    word = 0
    for index in range(CELLS):
        cell = image[margin : size - margin, index * size + margin : (index + 1) * size - margin]
        word = (word << 1) | int(cell.mean() > 127)
    value = word >> CHECK_BITS
    return value if word & 0xFF == _check(value) else None
