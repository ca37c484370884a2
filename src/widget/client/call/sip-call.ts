import { UA, WebSocketInterface } from 'jssip';
import type { CallEvent } from './call-state.ts';

/**
 * The visitor's SIP call over WebSocket to Asterisk, with JsSIP 3.13.8 (the client Asterisk 22's recorded web-call
 * behaviour was captured with). No registration: the visitor is an anonymous caller, entitled only by the
 * single-use ticket in `X-Beckon-Ticket`, which Asterisk's web-call context hands to Beckon's inbound app.
 */
export interface SipCallOptions {
  wsUrl: string;
  sipUri: string;
  ticket: string;
  iceServers: RTCIceServer[];
  /** The microphone, already granted: the INVITE goes out only once the visitor allowed it. */
  stream: MediaStream;
  /** Plays what the business says (and the music on hold before it). */
  audio: HTMLAudioElement;
  on: (e: CallEvent) => void;
}

export interface SipCall { hangup(): void; mute(muted: boolean): void }

/** How long the SIP WebSocket may take to open before the call is given up as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

type Originator = 'local' | 'remote' | 'system';

export function placeSipCall(o: SipCallOptions): SipCall {
  const host = new URL(o.sipUri.replace(/^sips?:/, 'sip://')).hostname || 'localhost';
  const ua = new UA({
    sockets: [new WebSocketInterface(o.wsUrl)],
    uri: `sip:visitor@${host}`, display_name: 'Web Visitor',
    // Session timers would have the browser re-INVITE mid-call for nothing Asterisk needs here.
    register: false, session_timers: false,
  });
  let session: ReturnType<UA['call']> | null = null;
  let over = false;

  const finish = (originator: Originator, cause: string) => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    o.stream.getTracks().forEach((t) => t.stop());
    o.audio.srcObject = null;
    o.on({ type: 'ended', originator, cause });
    // After the call's own events: stopping first would report the end as a connection error.
    setTimeout(() => { try { ua.stop(); } catch { /* already stopped */ } }, 0);
  };
  const timer = setTimeout(() => { if (!session) finish('system', 'Connection Error'); }, CONNECT_TIMEOUT_MS);

  ua.on('disconnected', () => { if (!session) finish('system', 'Connection Error'); });
  ua.on('connected', () => {
    if (session || over) return;
    clearTimeout(timer);
    session = ua.call(o.sipUri, {
      extraHeaders: [`X-Beckon-Ticket: ${o.ticket}`],
      mediaStream: o.stream,
      mediaConstraints: { audio: true, video: false },
      pcConfig: { iceServers: o.iceServers },
      eventHandlers: {
        peerconnection: (e: { peerconnection: RTCPeerConnection }) => {
          e.peerconnection.addEventListener('track', (t) => {
            o.audio.srcObject = t.streams[0] ?? new MediaStream([t.track]);
            void o.audio.play().catch(() => { /* autoplay refused: the press that started the call allows it */ });
          });
        },
        progress: (e: { originator: Originator }) => { if (e.originator === 'remote') o.on({ type: 'progress' }); },
        confirmed: () => o.on({ type: 'answered', at: Date.now() }),
        ended: (e: { originator: Originator; cause: string }) => finish(e.originator, String(e.cause)),
        failed: (e: { originator: Originator; cause: string }) => finish(e.originator, String(e.cause)),
      },
    });
  });
  ua.start();

  return {
    hangup() {
      // Before the INVITE went out there is no session to end; JsSIP sends CANCEL or BYE as the dialog needs.
      if (!session) { finish('local', 'Canceled'); return; }
      try { session.terminate(); } catch { finish('local', 'Canceled'); }
    },
    mute(muted) {
      // The session sends this very stream: a disabled track sends silence, before and after the answer alike.
      o.stream.getAudioTracks().forEach((t) => { t.enabled = !muted; });
    },
  };
}
