"""QR decoding engines: thin wrappers that take a grayscale image and return payload strings.

Why two: measured on the bench's hard set (``python -m bench.qr_decode``), zxing-cpp reads a
whole 720p frame in ~3.5 ms and reads more than ZBar, which needs several times as long. zxing-cpp
is therefore the primary engine; ZBar is the engine of last resort when zxing-cpp is not
installed. Both are restricted to QR codes: other symbologies cost time and invite misreads.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass
class Scan:
    """What one engine call saw: payloads read, and the corners (4x2, x/y) of QR codes it
    located but could not read: the places worth a closer look."""

    texts: list[str] = field(default_factory=list)
    suspects: list[np.ndarray] = field(default_factory=list)


class QrEngine(Protocol):
    """Anything that finds QR payloads in a contiguous grayscale uint8 image."""

    name: str

    def decode(self, gray: np.ndarray) -> list[str]: ...

    def scan(self, gray: np.ndarray, *, downscale: bool = False) -> Scan:
        """Payloads and located-but-unread codes; ``downscale``: also search a pyramid of
        smaller copies (finds big, blurred codes; costs about a third more)."""
        ...


class ZxingEngine:
    """zxing-cpp, QR only, with its own retries switched off: the pipeline chooses scales."""

    name = "zxing-cpp"

    def __init__(self) -> None:
        import zxingcpp

        self._read = zxingcpp.read_barcodes
        self._format = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

    def decode(self, gray: np.ndarray) -> list[str]:
        return self.scan(gray).texts

    def scan(self, gray: np.ndarray, *, downscale: bool = False) -> Scan:
        found = self._read(
            gray,
            formats=self._format,
            try_rotate=False,  # QR detection is rotation invariant; this only helps 1D codes
            try_downscale=downscale,
            try_invert=False,  # the pipeline inverts once, at half size (dark-mode screens)
            return_errors=True,  # a located-but-unreadable QR is where to look closer
        )
        scan = Scan()
        for b in found:
            if b.valid:
                scan.texts.append(b.text)
            else:
                p = b.position
                corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
                scan.suspects.append(np.array([[c.x, c.y] for c in corners], np.float32))
        return scan


class ZbarEngine:
    """ZBar through pyzbar's ctypes binding, with one scanner kept for the engine's lifetime.

    ``pyzbar.decode`` builds a scanner and copies the image into ``bytes`` on every call; keeping
    the scanner and handing ZBar the numpy buffer directly saves both. Not thread safe: use one
    engine per thread (each ``QrDecoder`` owns its engines).
    """

    name = "zbar"

    def __init__(self) -> None:
        from pyzbar import wrapper as zw
        from pyzbar.pyzbar import _FOURCC

        self._zw = zw
        self._fourcc = _FOURCC["L800"]
        self._scanner = zw.zbar_image_scanner_create()
        zw.zbar_image_scanner_set_config(self._scanner, 0, zw.ZBarConfig.CFG_ENABLE, 0)
        zw.zbar_image_scanner_set_config(
            self._scanner, zw.ZBarSymbol.QRCODE, zw.ZBarConfig.CFG_ENABLE, 1
        )

    def scan(self, gray: np.ndarray, *, downscale: bool = False) -> Scan:
        """ZBar reports nothing about codes it locates but cannot read, and has no pyramid."""
        return Scan(self.decode(gray))

    def decode(self, gray: np.ndarray) -> list[str]:
        zw = self._zw
        gray = np.ascontiguousarray(gray, dtype=np.uint8)
        height, width = gray.shape
        image = zw.zbar_image_create()
        try:
            zw.zbar_image_set_format(image, self._fourcc)
            zw.zbar_image_set_size(image, width, height)
            zw.zbar_image_set_data(image, ctypes.c_void_p(gray.ctypes.data), gray.size, None)
            if zw.zbar_scan_image(self._scanner, image) <= 0:
                return []
            out = []
            symbol = zw.zbar_image_first_symbol(image)
            while symbol:
                data = ctypes.string_at(
                    zw.zbar_symbol_get_data(symbol), zw.zbar_symbol_get_data_length(symbol)
                )
                out.append(data.decode("utf-8", "replace"))
                symbol = zw.zbar_symbol_next(symbol)
            return out
        finally:
            zw.zbar_image_destroy(image)

    def __del__(self) -> None:
        scanner = getattr(self, "_scanner", None)
        if scanner:
            self._zw.zbar_image_scanner_destroy(scanner)
            self._scanner = None


def zxing_available() -> bool:
    """True when the zxing-cpp wheel is importable (it is the engine the numbers rely on)."""
    try:
        import zxingcpp  # noqa: F401
    except ImportError:
        return False
    return True
