"""Where in a frame a QR code may be: rectangles worth a closer, upscaled look.

zxing-cpp reads most codes straight from the whole frame. What it misses are codes too small or
too soft for its binariser (2-3 px per module, blurred, dim): it does not even locate them. A QR
is a patch dense in edges of *both* orientations; furniture and screen borders give edges of one
orientation, a plain wall none. So: gradient energy per cell on a half-resolution copy (the
downscale also averages the sensor noise of a dim booth away), cells that are strong in x and y,
grown into blobs, blobs of a QR's shape kept. The cost is a fixed handful of image operations on a
quarter of the pixels, whatever the frame shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Region:
    """A candidate rectangle in frame pixels, and how QR-like its texture is (to rank)."""

    x: int
    y: int
    w: int
    h: int
    score: float

    def grown(self, by: float, width: int, height: int) -> Region:
        """The rectangle with ``by`` of its size added on every side, clipped to the frame."""
        dx, dy = int(self.w * by), int(self.h * by)
        x0, y0 = max(0, self.x - dx), max(0, self.y - dy)
        x1, y1 = min(width, self.x + self.w + dx), min(height, self.y + self.h + dy)
        return Region(x0, y0, x1 - x0, y1 - y0, self.score)

    def overlap(self, other: Region) -> float:
        """Intersection over the smaller area: 1.0 when one holds the other."""
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        return ix * iy / max(1, min(self.w * self.h, other.w * other.h))


def find_regions(half: np.ndarray, *, min_side: int = 40, limit: int = 6) -> list[Region]:
    """Up to ``limit`` QR-like rectangles, most QR-like first, in frame pixels.

    ``half``: the grayscale frame at half size (``cv2.pyrDown``; the decoder has one anyway).
    ``min_side``: the smallest code side (frame pixels) worth reporting.
    """
    dx, dy = cv2.spatialGradient(half)
    gx, gy = cv2.convertScaleAbs(dx), cv2.convertScaleAbs(dy)
    cell = 4  # half-res pixels per cell: 8 frame pixels
    rows, cols = half.shape[0] // cell, half.shape[1] // cell
    if rows < 3 or cols < 3:
        return []

    def per_cell(image: np.ndarray) -> np.ndarray:
        cut = image[: rows * cell, : cols * cell]
        return cv2.resize(cut, (cols, rows), interpolation=cv2.INTER_AREA)

    both = cv2.min(per_cell(gx), per_cell(gy)).astype(np.float32)
    # contrast relative to brightness: a dim code has weak gradients but so has its surround
    mean = per_cell(half)
    local = cv2.blur(mean.astype(np.float32), (5, 5)) + 16.0
    energy = cv2.blur(both / local, (3, 3))
    floor = 0.12
    mask = (energy > max(floor, float(energy.max()) * 0.35)).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    regions: list[Region] = []
    min_cells = max(1, min_side // (2 * cell))
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if w < min_cells or h < min_cells or max(w, h) > 3 * min(w, h) or area < 0.3 * w * h:
            continue  # too small, a line of text or an edge, or too sparse
        score = float(energy[y : y + h, x : x + w].sum())
        k = 2 * cell
        regions.append(Region(x * k, y * k, w * k, h * k, score))
    regions.sort(key=lambda r: -r.score)
    return regions[:limit]
