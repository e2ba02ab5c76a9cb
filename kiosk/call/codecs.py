"""Choosing the video codec: the booth prefers one, a test or benchmark can force one.

Both work through ``RTCRtpTransceiver.setCodecPreferences``: on the offering side it limits or
orders what is offered; on the answering side (the booth) it orders the answer, and the first
codec of the answer is the one both peers send.
"""

from __future__ import annotations

from aiortc import RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecCapability


def _matches(codec: RTCRtpCodecCapability, kind: str, name: str) -> bool:
    return codec.mimeType.lower() == f"{kind}/{name}".lower()


def preferring(name: str, kind: str = "video") -> list[RTCRtpCodecCapability]:
    """Every codec aiortc has for ``kind``, ``name`` (e.g. "H264") first. A peer that lacks
    ``name`` still gets a call, in the next codec."""
    codecs = RTCRtpSender.getCapabilities(kind).codecs
    return [c for c in codecs if _matches(c, kind, name)] + [
        c for c in codecs if not _matches(c, kind, name)
    ]


def only(name: str, kind: str = "video") -> list[RTCRtpCodecCapability]:
    """Just ``name`` (plus retransmission): forces the codec, for tests and benchmarks."""
    codecs = RTCRtpSender.getCapabilities(kind).codecs
    chosen = [c for c in codecs if _matches(c, kind, name) or _matches(c, kind, "rtx")]
    if not any(_matches(c, kind, name) for c in chosen):
        raise ValueError(f"aiortc has no {kind} codec {name!r}")
    return chosen


def negotiated(sdp: str, kind: str = "video") -> str | None:
    """The codec name both peers send in an answer ``sdp`` (its first ``kind`` codec)."""
    in_kind, first_pt = False, None
    for line in sdp.splitlines():
        if line.startswith("m="):
            in_kind = line.startswith(f"m={kind} ")
            first_pt = line.split()[3] if in_kind and len(line.split()) > 3 else None
        elif in_kind and first_pt and line.startswith(f"a=rtpmap:{first_pt} "):
            return line.split()[1].split("/")[0]
    return None
