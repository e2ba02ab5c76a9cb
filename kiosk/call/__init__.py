"""The booth's side of the WebRTC call with the CS (DESIGN.md "The call"), without Kivy.

One module per object, like aiortc itself:

- ``booth_call``: ``BoothCall``, one ``RTCPeerConnection`` per session: answers the console's
  offer, reports connected / disconnected / failed / closed;
- ``camera_track``: ``CameraTrack``, the shared camera's frames, downscaled to the send size;
- ``microphone_track``: ``MicrophoneTrack``, the headset microphone, 48 kHz mono, 20 ms frames;
- ``remote_video``: ``RemoteVideoSink``, the CS's newest picture as BGR for the UI to blit;
- ``remote_audio``: ``RemoteAudioPlayer``, the CS's voice on the headset earphones;
- ``codecs``: codec preference (the booth) and forcing (tests, benchmarks);
- ``still``: ``capture_still``, a full-resolution JPEG of a document from the same camera;
- ``stream_holder``: a PortAudio stream opened on a worker thread, closed from anywhere, in any
  order (the streams themselves open and close through the headset, like the headset's own);
- ``background``: ``BackgroundTasks``, work nobody awaits, held until done, failures logged.

Everything async runs on the one asyncio loop the Kivy app runs on (``async_run``); blocking
work (waiting for camera frames, colour conversion, JPEG encoding, opening PortAudio streams)
runs on worker threads so the UI keeps its frame rate during a call.
"""

from kiosk.call.booth_call import BoothCall, CallState, ice_servers
from kiosk.call.camera_track import CameraTrack, fit_size
from kiosk.call.microphone_track import MicrophoneTrack
from kiosk.call.remote_audio import RemoteAudioPlayer
from kiosk.call.remote_video import RemoteFrame, RemoteVideoSink
from kiosk.call.still import capture_still, encode_jpeg

__all__ = [
    "BoothCall",
    "CallState",
    "CameraTrack",
    "MicrophoneTrack",
    "RemoteAudioPlayer",
    "RemoteFrame",
    "RemoteVideoSink",
    "capture_still",
    "encode_jpeg",
    "fit_size",
    "ice_servers",
]
