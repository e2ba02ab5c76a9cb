"""Draw QR codes as numpy images: the demo camera, the tests and the QR bench all need them.

Kept in the device layer (not in tests) because the demo camera source shows a ticket QR on a
phone-like card, and the bench and tests must draw exactly what the demo shows.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import segno


@functools.lru_cache(maxsize=64)
def qr_modules(payload: str, *, border: int = 4) -> np.ndarray:
    """Return the QR's module matrix (True = dark) including a quiet zone of ``border`` modules.

    ``micro=False`` on purpose: segno picks a Micro QR for short payloads such as a bare booking
    code, and ZBar cannot read Micro QR. Whatever prints or shows ticket QRs must do the same.
    """
    qr = segno.make(payload, micro=False)
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=border)]
    modules = np.array(rows, dtype=bool)
    modules.flags.writeable = False  # cached and shared between callers
    return modules


def qr_image(
    payload: str, *, module_px: int = 8, border: int = 4, dark: int = 0, light: int = 255
) -> np.ndarray:
    """Return a grayscale uint8 image of the QR, ``module_px`` pixels per module."""
    modules = qr_modules(payload, border=border)
    small = np.where(modules, np.uint8(dark), np.uint8(light))
    return np.kron(small, np.ones((module_px, module_px), dtype=np.uint8))


def phone_card(payload: str, *, qr_px: int = 240) -> np.ndarray:
    """Return a BGR picture of a phone showing a ticket QR: dark body, white screen, app header.

    The QR (quiet zone included) is about ``qr_px`` pixels wide. The surrounding screen and body
    matter: a decoder must find the code inside a phone, not on a clean white page.
    """
    return phone_card_layout(payload, qr_px=qr_px)[0]


def phone_card_layout(payload: str, *, qr_px: int = 240) -> tuple[np.ndarray, np.ndarray]:
    """``phone_card`` plus the symbol's four corners in the card (quiet zone excluded, x/y,
    clockwise from top-left): the bench needs them to know where the code lands in a frame."""
    modules = qr_modules(payload)
    module_px = max(1, round(qr_px / modules.shape[0]))
    code = qr_image(payload, module_px=module_px, dark=25, light=245)
    side = code.shape[0]
    screen_w = side + 2 * module_px * 2
    screen_h = int(side * 1.9)
    screen = np.full((screen_h, screen_w, 3), 245, dtype=np.uint8)
    header_h = screen_h // 9
    screen[:header_h] = (140, 90, 0)  # the agency's app header: a blue bar
    top = header_h + (screen_h - header_h - side) // 3
    left = (screen_w - side) // 2
    screen[top : top + side, left : left + side] = code[:, :, None]
    # two "text" lines under the code, like the booking code and the slot time
    for i, width in enumerate((0.7, 0.5)):
        y = top + side + module_px * (3 + 4 * i)
        x0 = int(screen_w * (1 - width) / 2)
        cv2.rectangle(screen, (x0, y), (screen_w - x0, y + module_px * 2), (90, 90, 90), -1)
    bezel = max(6, screen_w // 18)
    body = np.full((screen_h + 4 * bezel, screen_w + 2 * bezel, 3), 30, dtype=np.uint8)
    body[2 * bezel : 2 * bezel + screen_h, bezel : bezel + screen_w] = screen
    quiet = 4 * module_px
    x0, y0 = bezel + left + quiet, 2 * bezel + top + quiet
    x1, y1 = x0 + side - 2 * quiet, y0 + side - 2 * quiet
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
    return body, corners
