"""Document stills: a full-resolution JPEG from the same shared camera as the call.

Picking the frame (waiting for a few new ones, keeping the sharpest) and encoding a 720p or
1080p JPEG take ~100 ms together, so ``capture_still`` runs them on a worker thread: the loop
keeps the call and the UI going while the participant holds the document up.
"""

from __future__ import annotations

import asyncio

import cv2
import numpy as np

from kiosk.devices.camera import CameraError, SharedCamera


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    """BGR image → JPEG bytes. Raises ``CameraError`` if OpenCV refuses (it never should)."""
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise CameraError("the still could not be encoded as JPEG")
    return data.tobytes()


async def capture_still(camera: SharedCamera, quality: int = 90, *, timeout: float = 3.0) -> bytes:
    """The sharpest of the next few camera frames at full resolution, as JPEG bytes.

    Await it on the loop; the work happens on a thread. Raises ``CameraError`` when the camera
    delivers no frame within ``timeout`` (the booth then tells the CS the still failed).
    """
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be 1..100, got {quality}")

    def work() -> bytes:
        frame = camera.full_resolution_still(timeout=timeout)
        return encode_jpeg(frame.image, quality)

    return await asyncio.to_thread(work)
