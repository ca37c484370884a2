import { UA, WebSocketInterface } from 'jssip';

/**
 * The agent console's softphone (a classic script served by Beckon, so the console's CSP stays script-src 'self'):
 * JsSIP 3.13.8 registers the agent's WebRTC endpoint with the credentials GET /agent/softphone hands this session,
 * and the INVITE a worker's originate sends rings here like a desk phone. The console (public/agent-console.js)
 * drives it through `window.beckonSoftphone`; its state is announced as a `softphone` event on document.
 *
 * Rejecting sends 603 Decline deliberately: JsSIP's own default (480) reads as "no answer" (cause 19) on Asterisk,
 * not as the agent refusing. An INVITE that arrives right after the agent pressed Accept on an offer is answered at
 * once: the agent said yes already, as picking up a desk phone would.
 */

interface Credentials { uri: string; user: string; password: string; wsUrl: string; iceServers: RTCIceServer[] }
type Session = ReturnType<UA['call']>;
export type SoftphoneState = 'off' | 'connecting' | 'registered' | 'failed' | 'ringing' | 'in_call';

const csrf = (): string => (document.getElementById('console') as HTMLElement | null)?.dataset.csrf ?? '';
/** How long after Accept an incoming call is taken as the one accepted. */
const ACCEPTED_WINDOW_MS = 30_000;

let ua: UA | null = null;
let session: Session | null = null;
let state: SoftphoneState = 'off';
let acceptedAt = 0;
const audio = new Audio();
audio.autoplay = true;

function set(next: SoftphoneState): void {
  state = next;
  document.dispatchEvent(new CustomEvent('softphone', { detail: { state } }));
}

async function api(method: 'GET' | 'POST', body?: unknown): Promise<Response> {
  return fetch('/agent/softphone', {
    method, credentials: 'same-origin',
    headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json', 'x-csrf-token': csrf(), 'x-requested-with': 'fetch' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

function start(c: Credentials): void {
  stop();
  set('connecting');
  const agent = new UA({
    sockets: [new WebSocketInterface(c.wsUrl)], uri: c.uri, authorization_user: c.user, password: c.password,
    display_name: 'Beckon agent', register: true, session_timers: false,
  });
  agent.on('registered', () => { if (state === 'connecting' || state === 'failed') set('registered'); });
  agent.on('registrationFailed', () => set('failed'));
  agent.on('disconnected', () => { if (!session) set('connecting'); });
  agent.on('newRTCSession', (e: { originator: string; session: Session }) => {
    if (e.originator !== 'remote') return;
    // One call at a time, as on a desk phone: a second INVITE is busy.
    if (session) { e.session.terminate({ status_code: 486, reason_phrase: 'Busy Here' }); return; }
    session = e.session;
    const ended = () => { session = null; audio.srcObject = null; set(ua ? 'registered' : 'off'); };
    session.on('peerconnection', (p: { peerconnection: RTCPeerConnection }) => {
      p.peerconnection.addEventListener('track', (t) => { audio.srcObject = t.streams[0] ?? new MediaStream([t.track]); void audio.play().catch(() => {}); });
    });
    session.on('confirmed', () => set('in_call'));
    session.on('ended', ended);
    session.on('failed', ended);
    set('ringing');
    // One Accept answers one call: a later INVITE (a transfer, the next offer) rings as usual.
    if (Date.now() - acceptedAt < ACCEPTED_WINDOW_MS) { acceptedAt = 0; answer(); }
  });
  agent.start();
  ua = agent;
}

function stop(): void {
  const agent = ua;
  ua = null;
  if (session) { try { session.terminate(); } catch { /* already over */ } session = null; }
  // stop() unregisters first: Asterisk removes the contact and the device turns UNAVAILABLE at once.
  if (agent) agent.stop();
  set('off');
}

function answer(): void {
  if (!session || state !== 'ringing') return;
  session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
}

const api_ = {
  state: (): SoftphoneState => state,
  /** The agent pressed Accept on an offer: the call that follows rings here and is taken at once. */
  accepted(): void { acceptedAt = Date.now(); answer(); },
  answer,
  reject(): void { if (session && state === 'ringing') session.terminate({ status_code: 603, reason_phrase: 'Decline' }); },
  hangup(): boolean { if (!session) return false; session.terminate(); return true; },
  mute(on: boolean): void { if (session && state === 'in_call') { if (on) session.mute({ audio: true }); else session.unmute({ audio: true }); } },
  /** "Answer in the browser" on or off: new credentials for this session, or back to the desk phone. */
  async choose(on: boolean): Promise<boolean> {
    if (on) {
      // The microphone is asked for now, not when a call rings.
      try { (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach((t) => t.stop()); } catch { set('failed'); return false; }
    }
    const r = await api('POST', { on });
    if (!r.ok) { set(on ? 'failed' : state); return false; }
    if (on) start(await r.json() as Credentials); else stop();
    return true;
  },
};

declare global { interface Window { beckonSoftphone?: typeof api_ } }
window.beckonSoftphone = api_;

// A page opened (or reloaded) in a session that answers in the browser registers again.
// Only a session that chose the browser has credentials to ask for (the page says so); others start off.
if (document.getElementById('softphone')?.dataset.active === 'true') {
  void api('GET').then(async (r) => { if (r.ok) start(await r.json() as Credentials); else set('off'); });
} else {
  set('off');
}
// Leaving the page unregisters (Asterisk also drops the contact when the socket closes).
window.addEventListener('pagehide', () => { if (ua) ua.stop(); });
