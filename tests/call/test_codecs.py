"""Codec preference (the booth's answer) and forcing (tests and benchmarks)."""

from __future__ import annotations

import pytest

from kiosk.call.codecs import negotiated, only, preferring


def names(codecs) -> list[str]:
    return [c.mimeType for c in codecs]


def test_preferring_puts_the_codec_first_and_keeps_the_rest() -> None:
    h264 = names(preferring("H264"))
    assert h264[0] == h264[1] == "video/H264", "both H.264 profiles first"
    assert "video/VP8" in h264 and "video/rtx" in h264
    assert names(preferring("VP8"))[0] == "video/VP8"
    assert sorted(h264) == sorted(names(preferring("VP8")))


def test_only_keeps_the_codec_and_retransmission() -> None:
    assert set(names(only("VP8"))) == {"video/VP8", "video/rtx"}
    assert set(names(only("H264"))) == {"video/H264", "video/rtx"}
    with pytest.raises(ValueError, match="AV1"):
        only("AV1")


def test_negotiated_reads_the_first_codec_of_the_media_section() -> None:
    sdp = "\r\n".join(
        [
            "v=0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "a=rtpmap:111 opus/48000/2",
            "m=video 9 UDP/TLS/RTP/SAVPF 99 97",
            "a=rtpmap:97 VP8/90000",
            "a=rtpmap:99 H264/90000",
        ]
    )
    assert negotiated(sdp) == "H264"
    assert negotiated(sdp, "audio") == "opus"
    assert negotiated("v=0\r\n") is None
