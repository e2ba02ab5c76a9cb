"""Is an upload a JPEG the console can show? Its structure first, then a real decode.

The header walk finds the frame size before anything is decoded, so a small file declaring an
enormous picture (a decompression bomb) is refused without allocating it. The decode then proves
the data really is a picture of that size: libjpeg-turbo in strict mode (simplejpeg) turns its
"premature end of data" warning into an error, so a 640x480 picture whose header was rewritten to
say 7000x7000 is refused (OpenCV and Pillow both pad it to the declared size without a word).
"""

from __future__ import annotations

import simplejpeg

MAX_PIXELS = 4096 * 4096  # 16.8 megapixels; booth cameras give at most ~12

# Start-of-frame markers: SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
_SOF = {0xC0 + n for n in range(16)} - {0xC4, 0xC8, 0xCC}
# Markers without a length field.
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


class NotJpeg(ValueError):
    pass


class TooManyPixels(ValueError):
    pass


def frame_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the first start-of-frame segment; `NotJpeg` if the structure is off."""
    if data[:3] != b"\xff\xd8\xff":
        raise NotJpeg("no start-of-image marker")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise NotJpeg(f"expected a marker at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
            break
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2 or pos + 2 + length > len(data):
            raise NotJpeg(f"segment at byte {pos} runs past the end")
        if marker in _SOF:
            if length < 7:
                raise NotJpeg("short frame header")
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            width = int.from_bytes(data[pos + 7 : pos + 9], "big")
            if not width or not height:
                raise NotJpeg("frame without a size")
            return width, height
        pos += 2 + length
    raise NotJpeg("no frame header")


def check_jpeg(data: bytes) -> tuple[int, int]:
    """(width, height) of a complete, decodable JPEG; `NotJpeg` or `TooManyPixels` otherwise."""
    width, height = frame_size(data)
    if width * height > MAX_PIXELS:
        raise TooManyPixels(f"{width}x{height}")
    if data.rfind(b"\xff\xd9") < 0:
        raise NotJpeg("no end-of-image marker (truncated)")
    try:  # luma only: every component's data is still read, the colour conversion is skipped
        image = simplejpeg.decode_jpeg(data, colorspace="GRAY", strict=True)
    except ValueError as err:  # also raised for libjpeg's recoverable errors, in strict mode
        raise NotJpeg(f"does not decode: {err}") from err
    if image.shape[:2] != (height, width):
        raise NotJpeg("decodes to another size than its header says")
    return width, height
