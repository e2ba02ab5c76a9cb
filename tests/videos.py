"""Real video files for the camera: a phone showing a ticket QR over a moving background.

The camera tests, the end-to-end booth tests and `make screenshots` read these through OpenCV,
exactly like a camera's frames (DESIGN.md "Testing here").
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from kiosk.devices.qr_image import phone_card

TICKET = "BLK1.TGC4K7QX.MFRGGZDFMZTWQ2LKNNWG23TPOA"


def write_ticket_video(
    path: Path,
    payload: str | None = TICKET,
    *,
    size: tuple[int, int] = (1280, 720),
    fps: float = 15.0,
    frames: int = 30,
) -> Path:
    """Write an MJPG .avi of a phone showing ``payload`` over a moving background.

    Written to a temporary name and renamed, the way a camera node appears all at once: the
    reader never sees a half-written file. Each frame carries its index (mod 7) as a grey level
    in the top-left corner, so tests can tell which file frame they got.
    """
    width, height = size
    tmp = path.with_name(path.name + ".part.avi")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write MJPG/.avi here"
    card = phone_card(payload, qr_px=min(height // 3, 300)) if payload else None
    x = np.arange(width, dtype=np.float32)[None, :]
    y = np.arange(height, dtype=np.float32)[:, None]
    for i in range(frames):
        wave = 0.5 + 0.5 * np.sin((x + 12 * i) / 40.0) * np.cos(y / 55.0)
        grey = (50 + 120 * wave).astype(np.uint8)
        frame = cv2.merge([grey, grey, grey])
        if card is not None:
            ch, cw = card.shape[:2]
            top, left = (height - ch) // 2, (width - cw) // 2
            frame[top : top + ch, left : left + cw] = card
        frame[:16, :16] = 40 * (i % 7)
        writer.write(frame)
    writer.release()
    os.replace(tmp, path)
    return path
