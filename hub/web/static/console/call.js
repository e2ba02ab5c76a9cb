// One RTCPeerConnection per booth session (docs/call-api.md, "Signaling"). The console offers,
// the booth (aiortc) answers; no trickle ICE, so each offer is sent once gathering is complete.
// Camera and microphone are opened once and shared: every call sends the same camera track and
// its own clone of the microphone track, so the microphone can be switched on for the focused
// booth only (`track.enabled = false` sends silence, the connection stays up).

const ICE_GATHERING_TIMEOUT_MS = 3000;

/** The CS's camera and microphone, opened on first use and shared by every call. */
export class LocalMedia {
  constructor() {
    this.stream = null;
    this.error = null;
    this.pending = null;
  }

  /** The shared stream, or null when no camera/microphone could be opened (calls then only
   * receive). A failure is retried on the next call. */
  start() {
    if (this.stream) return Promise.resolve(this.stream);
    if (!this.pending) {
      this.pending = navigator.mediaDevices
        .getUserMedia({
          video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
          audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        })
        .then((stream) => {
          this.stream = stream;
          this.error = null;
          return stream;
        })
        .catch((err) => {
          this.error = err;
          this.pending = null;
          return null;
        });
    }
    return this.pending;
  }

  stop() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.pending = null;
  }
}

function iceGatheringComplete(pc, timeoutMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") finish();
    };
    const timer = setTimeout(finish, timeoutMs); // send what we have rather than nothing
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** "good" | "fair" | "poor" | "none" from one stats sample (see Call.sample). */
export function classifyQuality({ connected, fps, lossPct, rttMs }) {
  if (!connected) return "none";
  if (lossPct > 8 || rttMs > 400 || (fps !== null && fps < 5)) return "poor";
  if (lossPct > 2 || rttMs > 150 || (fps !== null && fps < 15)) return "fair";
  return "good";
}

export class Call {
  /**
   * @param {number} sessionId
   * @param {LocalMedia} media
   * @param {{sendSignal: (data: object) => Promise<unknown>, onRemoteStream: (s: MediaStream) => void,
   *          onChange: () => void, iceServers?: RTCIceServer[]}} hooks
   */
  constructor(sessionId, media, { sendSignal, onRemoteStream, onChange, iceServers = [] }) {
    this.sessionId = sessionId;
    this.media = media;
    this.sendSignal = sendSignal;
    this.onRemoteStream = onRemoteStream;
    this.onChange = onChange;
    this.iceServers = iceServers;
    this.pc = null;
    this.micTrack = null;
    this.remoteStream = null;
    this.focused = false;
    this.generation = 0;
    this.offeredAt = 0;
    this.previous = null; // last stats sample, for rates
    this.last = null; // last computed stats
  }

  get connectionState() {
    return this.pc?.connectionState ?? "new";
  }

  /** (Re)start the call: a fresh peer connection and a complete offer to the booth. */
  async offer() {
    const generation = ++this.generation;
    this.offeredAt = Date.now();
    this.teardown();
    const stream = await this.media.start();
    if (generation !== this.generation) return false;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    this.previous = null;
    this.remoteStream = new MediaStream();
    this.onRemoteStream(this.remoteStream);

    const mic = stream?.getAudioTracks()[0];
    const camera = stream?.getVideoTracks()[0];
    const outgoing = new MediaStream();
    if (mic) {
      this.micTrack = mic.clone();
      this.micTrack.enabled = this.focused;
      outgoing.addTrack(this.micTrack);
      pc.addTransceiver(this.micTrack, { direction: "sendrecv", streams: [outgoing] });
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    if (camera) {
      outgoing.addTrack(camera);
      pc.addTransceiver(camera, { direction: "sendrecv", streams: [outgoing] });
    } else {
      pc.addTransceiver("video", { direction: "recvonly" });
    }

    pc.addEventListener("track", (event) => {
      if (pc !== this.pc) return;
      this.remoteStream.addTrack(event.track);
      this.onRemoteStream(this.remoteStream);
      this.onChange();
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc === this.pc) this.onChange();
    });

    await pc.setLocalDescription(await pc.createOffer());
    await iceGatheringComplete(pc, ICE_GATHERING_TIMEOUT_MS);
    if (generation !== this.generation) return false;
    await this.sendSignal({ kind: "offer", sdp: pc.localDescription.sdp });
    this.onChange();
    return true;
  }

  /** Apply the booth's answer; answers to an offer that has been replaced are ignored. */
  async answer(sdp) {
    const pc = this.pc;
    if (!pc || pc.signalingState !== "have-local-offer") return false;
    await pc.setRemoteDescription({ type: "answer", sdp });
    this.onChange();
    return true;
  }

  /** Only the focused booth hears the CS. */
  setFocused(focused) {
    this.focused = focused;
    if (this.micTrack) this.micTrack.enabled = focused;
  }

  get micEnabled() {
    return Boolean(this.micTrack?.enabled);
  }

  /** Connection quality and decoding progress, from getStats (rates since the last sample). */
  async sample() {
    const pc = this.pc;
    if (!pc) return null;
    const report = await pc.getStats();
    let video = null;
    let audio = null;
    let pair = null;
    let selectedPairId = null;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") video = s;
      else if (s.type === "inbound-rtp" && s.kind === "audio") audio = s;
      else if (s.type === "transport" && s.selectedCandidatePairId) selectedPairId = s.selectedCandidatePairId;
    });
    if (selectedPairId) pair = report.get(selectedPairId) ?? null;
    if (!pair) {
      report.forEach((s) => {
        if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s;
      });
    }
    const now = performance.now();
    const framesDecoded = video?.framesDecoded ?? 0;
    const received = (video?.packetsReceived ?? 0) + (audio?.packetsReceived ?? 0);
    const lost = Math.max(0, (video?.packetsLost ?? 0) + (audio?.packetsLost ?? 0));
    let fps = video?.framesPerSecond ?? null;
    let lossPct = 0;
    const prev = this.previous;
    if (prev) {
      const seconds = (now - prev.at) / 1000;
      if (seconds > 0 && fps === null) fps = (framesDecoded - prev.framesDecoded) / seconds;
      const dReceived = received - prev.received;
      const dLost = lost - prev.lost;
      if (dReceived + dLost > 0) lossPct = (100 * dLost) / (dReceived + dLost);
    }
    this.previous = { at: now, framesDecoded, received, lost };
    const rttMs = pair?.currentRoundTripTime != null ? pair.currentRoundTripTime * 1000 : 0;
    const connected = pc.connectionState === "connected";
    this.last = {
      connectionState: pc.connectionState,
      framesDecoded,
      fps: fps === null ? null : Math.round(fps),
      width: video?.frameWidth ?? 0,
      height: video?.frameHeight ?? 0,
      lossPct: Math.round(lossPct * 10) / 10,
      rttMs: Math.round(rttMs),
      audioLevel: audio?.audioLevel ?? null,
      quality: classifyQuality({ connected, fps: prev ? fps : null, lossPct, rttMs }),
    };
    return this.last;
  }

  teardown() {
    const pc = this.pc;
    this.pc = null;
    this.micTrack?.stop();
    this.micTrack = null;
    this.remoteStream = null;
    this.last = null;
    pc?.close();
  }

  /** End the call for good (session closed, handed back, or the CS signed out). */
  close() {
    this.generation += 1;
    this.teardown();
  }
}
