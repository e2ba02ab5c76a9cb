"""Camera and call pictures on screen: numpy BGR frames blitted into a reused Kivy texture."""

from __future__ import annotations

import numpy as np
from kivy.graphics.texture import Texture


class FrameTexture:
    """One texture per picture source, re-created only when the frame size changes.

    Blitting on the UI thread is cheap (a memcpy to the GPU, ~1 ms for 720p); decoding and
    scaling happen on the device and call threads.
    """

    def __init__(self) -> None:
        self.texture: Texture | None = None
        self._number = -1

    def show(self, image: np.ndarray | None, number: int) -> Texture | None:
        """Blit `image` unless frame `number` is already shown; returns the texture."""
        if image is None or number == self._number:
            return self.texture
        self._number = number
        height, width = image.shape[:2]
        if self.texture is None or self.texture.size != (width, height):
            self.texture = Texture.create(size=(width, height), colorfmt="bgr")
            self.texture.flip_vertical()
        self.texture.blit_buffer(np.ascontiguousarray(image).tobytes(), colorfmt="bgr")
        return self.texture

    def clear(self) -> None:
        self.texture, self._number = None, -1
