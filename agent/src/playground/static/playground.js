// The playground page: one call at a time. Start asks the agent for a session (what the voice
// webhook would issue, plus a single-use stream ticket), opens the call's event feed, then speaks
// the Twilio Media Streams protocol over the production media WebSocket: connected, start, a
// media message per 20 ms of microphone audio, mark echoes once the agent's audio before them
// has played, clear honoured, stop on hang-up.
import { base64ToBytes, bytesToBase64, decodeMulaw } from './codec.js';
import { ConversationView, renderTurn } from './render.js';

const $ = (id) => document.getElementById(id);
const ui = {
  call: $('call'),
  status: $('status'),
  tokenRow: $('token-row'),
  token: $('token'),
  offline: $('offline'),
  offlineTitle: $('offline-title'),
  offlineText: $('offline-text'),
  offlineMore: $('offline-more'),
  script: $('script'),
  turns: $('turns'),
  micLevel: $('mic-level'),
  agentLevel: $('agent-level'),
  callId: $('call-id'),
};
const conversation = new ConversationView($('conversation'));
const TOKEN_KEY = 'hva-playground-token';
let call;

function setStatus(text, state) {
  ui.status.textContent = text;
  ui.status.dataset.state = state;
}

function setLevel(node, level) {
  node.style.width = `${Math.min(100, Math.round(Math.sqrt(level) * 100))}%`;
}

async function requestSession() {
  const token = ui.token.value.trim() || sessionStorage.getItem(TOKEN_KEY) || '';
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch('/playground/session', { method: 'POST', headers });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401 || res.status === 403) {
    ui.tokenRow.hidden = false;
    ui.token.focus();
    throw new Error(body.error ?? `refused (${res.status})`);
  }
  if (!res.ok) throw new Error(body.error ?? `session request failed (${res.status})`);
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  return body;
}

function showProviders(session) {
  const emulated = session.recognition === 'emulated';
  ui.script.hidden = !emulated;
  ui.offlineTitle.textContent = emulated ? 'Recognition is emulated' : 'Offline providers';
  ui.offlineText.hidden = !emulated;
  if (emulated) {
    ui.script.replaceChildren(
      ...session.script.map((line, i) => {
        const li = document.createElement('li');
        li.textContent = line;
        if (i === 0) li.setAttribute('aria-current', 'step');
        return li;
      }),
    );
  }
  const notes = [];
  if (session.providers.llm === 'scripted')
    notes.push('the answers come from a scripted responder, not a language model');
  if (session.providers.tts === 'local') notes.push('the voice is espeak-ng, not Google Text-to-Speech');
  ui.offlineMore.textContent = notes.length
    ? `${emulated ? 'Also offline: ' : 'Offline: '}${notes.join('; ')}.`
    : '';
  ui.offline.hidden = !emulated && notes.length === 0;
}

function advanceScript(finals) {
  const items = [...ui.script.children];
  items.forEach((li, i) => {
    if (i === finals % Math.max(1, items.length)) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  });
}

/** Reads the call's Server-Sent Events with fetch (EventSource cannot send the bearer key). */
async function followEvents(session, signal, onEvent) {
  const res = await fetch(session.eventsPath, {
    headers: { authorization: `Bearer ${session.eventsKey}`, accept: 'text/event-stream' },
    signal,
  });
  if (!res.ok || !res.body) throw new Error(`event feed refused (${res.status})`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    let cut;
    while ((cut = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, cut);
      buffered = buffered.slice(cut + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data) onEvent(JSON.parse(data));
    }
  }
}

class Call {
  constructor(session) {
    this.session = session;
    this.seq = 0;
    this.chunk = 0;
    this.finals = 0;
    this.clears = 0;
    this.streaming = false;
    this.ended = false;
    this.abort = new AbortController();
  }

  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  nextSeq() {
    this.seq += 1;
    return String(this.seq);
  }

  async open() {
    const s = this.session;
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    this.ctx = new AudioContext({ latencyHint: 'interactive' });
    await this.ctx.audioWorklet.addModule('/playground/static/capture-worklet.js');
    await this.ctx.audioWorklet.addModule('/playground/static/player-worklet.js');
    const mic = this.ctx.createMediaStreamSource(this.stream);
    this.capture = new AudioWorkletNode(this.ctx, 'hva-capture', { numberOfOutputs: 1 });
    const mute = new GainNode(this.ctx, { gain: 0 });
    mic.connect(this.capture).connect(mute).connect(this.ctx.destination);
    this.player = new AudioWorkletNode(this.ctx, 'hva-player', {
      numberOfInputs: 0,
      outputChannelCount: [1],
    });
    this.player.connect(this.ctx.destination);
    this.capture.port.onmessage = (e) => this.onCaptured(e.data);
    this.player.port.onmessage = (e) => this.onPlayer(e.data);

    followEvents(s, this.abort.signal, (e) => this.onEvent(e)).catch((err) => {
      if (!this.abort.signal.aborted) conversation.system(`Event feed lost: ${err.message}`);
    });

    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${s.wsPath}`;
    this.ws = new WebSocket(url, s.protocols);
    this.ws.onopen = () => {
      this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      this.send({
        event: 'start',
        sequenceNumber: this.nextSeq(),
        start: {
          accountSid: s.accountSid,
          streamSid: s.streamSid,
          callSid: s.callSid,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: s.customParameters,
        },
        streamSid: s.streamSid,
      });
      this.streaming = true;
      setStatus('In call: speak Hebrew', 'live');
    };
    this.ws.onmessage = (e) => this.onServer(e.data);
    this.ws.onclose = (e) => this.finish(`Call ended (${e.code}${e.reason ? `: ${e.reason}` : ''})`);
    this.ws.onerror = () => setStatus('Media WebSocket error', 'error');
  }

  onCaptured(msg) {
    if (msg.level !== undefined) setLevel(ui.micLevel, msg.level);
    if (!this.streaming) return;
    this.chunk += 1;
    const payload = bytesToBase64(new Uint8Array(msg.mulaw));
    this.send({
      event: 'media',
      sequenceNumber: this.nextSeq(),
      media: {
        track: 'inbound',
        chunk: String(this.chunk),
        timestamp: String((this.chunk - 1) * 20),
        payload,
      },
      streamSid: this.session.streamSid,
    });
  }

  onServer(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.streamSid !== this.session.streamSid) return;
    if (msg.event === 'media') {
      this.player.port.postMessage({ type: 'media', samples: decodeMulaw(base64ToBytes(msg.media.payload)) });
    } else if (msg.event === 'mark') {
      this.player.port.postMessage({ type: 'mark', name: msg.mark.name });
    } else if (msg.event === 'clear') {
      this.player.port.postMessage({ type: 'clear' });
    }
  }

  echoMark(name) {
    this.send({
      event: 'mark',
      sequenceNumber: this.nextSeq(),
      streamSid: this.session.streamSid,
      mark: { name },
    });
  }

  onPlayer(msg) {
    if (msg.type === 'played') this.echoMark(msg.mark);
    else if (msg.type === 'cleared') {
      // What the player dropped on `clear`, for people (and the browser test) to see.
      this.clears += 1;
      document.body.dataset.clears = String(this.clears);
      document.body.dataset.clearedMarks = String(
        Number(document.body.dataset.clearedMarks ?? 0) + msg.marks.length,
      );
      for (const name of msg.marks) this.echoMark(name);
    } else if (msg.type === 'level') setLevel(ui.agentLevel, msg.level);
    else if (msg.type === 'speaking') document.body.dataset.agentSpeaking = String(msg.speaking);
  }

  onEvent(e) {
    switch (e.type) {
      case 'transcript':
        conversation.transcript(e);
        if (e.isFinal) advanceScript(++this.finals);
        break;
      case 'turnEnded':
        conversation.turnEnded(e);
        break;
      case 'segment':
        conversation.segment(e);
        break;
      case 'bargeIn':
        conversation.bargeIn(e);
        break;
      case 'turn':
        renderTurn(ui.turns, e.waterfall);
        break;
      case 'ended':
        conversation.system(`Call ended by the agent: ${e.reason}`);
        break;
    }
  }

  hangUp() {
    if (this.streaming) {
      this.send({
        event: 'stop',
        sequenceNumber: this.nextSeq(),
        streamSid: this.session.streamSid,
        stop: { accountSid: this.session.accountSid, callSid: this.session.callSid },
      });
    }
    this.ws?.close(1000, 'caller hung up');
    this.finish('Call ended');
  }

  finish(text) {
    if (this.ended) return;
    this.ended = true;
    this.streaming = false;
    this.capture?.port.postMessage({ type: 'stop' });
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    // Let the event feed deliver the session's last events before it is dropped.
    setTimeout(() => this.abort.abort(), 3000);
    void this.ctx?.close();
    setStatus(text, 'idle');
    ui.call.textContent = 'Start call';
    ui.call.dataset.live = 'false';
    setLevel(ui.micLevel, 0);
    setLevel(ui.agentLevel, 0);
    call = undefined;
  }
}

async function start() {
  if (!window.isSecureContext || !navigator.mediaDevices) {
    // Browsers only give microphones (and AudioWorklets) to secure pages.
    setStatus(
      'This page needs a secure origin for the microphone: open it over HTTPS or on localhost (e.g. kubectl port-forward).',
      'error',
    );
    return;
  }
  ui.call.disabled = true;
  setStatus('Connecting…', 'connecting');
  try {
    const session = await requestSession();
    showProviders(session);
    conversation.clear();
    ui.turns.replaceChildren();
    ui.callId.textContent = `call ${session.callSid}`;
    call = new Call(session);
    await call.open();
    ui.call.textContent = 'End call';
    ui.call.dataset.live = 'true';
  } catch (err) {
    call?.finish(`Could not start: ${err.message}`);
    setStatus(`Could not start: ${err.message}`, 'error');
    call = undefined;
  } finally {
    ui.call.disabled = false;
  }
}

ui.call.addEventListener('click', () => {
  if (call) call.hangUp();
  else void start();
});
ui.token.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !call) void start();
});
window.addEventListener('pagehide', () => call?.hangUp());
