import http from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { AmiServer } from './ami-server.ts';
import { AriHub } from './ari-hub.ts';
import { authorized, handleAri, type AriContext } from './ari-routes.ts';
import { channelJson } from './ari-snapshots.ts';
import { handleControl, type SimControl } from './control-routes.ts';
import { Exchange } from './exchange.ts';
import { SHIPPED_CDR_MAPPINGS, type CdrMappings } from './cdr.ts';
import { sendJson } from './http-util.ts';
import { placeWebCall } from './web-call-control.ts';
import { SipServer } from './sip-server.ts';
import { Softphones } from './softphones.ts';
import { PushConfig } from './push-config.ts';
import { WebRtcMedia, type MediaFactory } from './webrtc-media.ts';
import { listenOn } from './listen.ts';
import { RestFaults } from './rest-faults.ts';
import { ariTime } from './time-format.ts';
import type { OriginateRecord } from './model.ts';
import type { PhoneBehavior, PhoneRule } from './phone-rules.ts';

export type { PhoneBehavior, PhoneRule } from './phone-rules.ts';
export type { OriginateRecord } from './model.ts';
export type { PhoneCall, Heard } from './phone-log.ts';
export { DEFAULT_RULES } from './phone-rules.ts';

export interface SimOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** ARI HTTP + WebSocket port; 0 (default) picks a free one */
  port?: number;
  /** AMI TCP port; 0 (default) picks a free one */
  amiPort?: number;
  /** ARI basic auth, default beckon/beckon */
  user?: string;
  password?: string;
  /** AMI login, default beckon/beckon */
  amiUser?: string;
  amiSecret?: string;
  /** multiplies every scripted delay (answer, playback length, DTMF, timeouts); default 1 */
  timeScale?: number;
  /**
   * indications.conf present (default true, as asterisk/conf ships it): `tone:` playbacks play. false makes
   * them fail like a missing sound file, as on an Asterisk without indications.
   */
  indications?: boolean;
  /**
   * cdr_manager.conf's [mappings] as [CDR variable, AMI header] pairs: what Cdr events carry after UserField.
   * Default: what asterisk/conf/cdr_manager.conf maps (LinkedID, Sequence, PeerAccount); [] is a stock install.
   */
  cdrMappings?: CdrMappings;
  /**
   * After a restart, how long REST already answers while ARI WebSockets are still refused (unscaled ms; default
   * 1300, as measured; real gaps reach ~10 s after a long outage because of ari-client's reconnect back-off).
   */
  restartWsGapMs?: number;
  /**
   * The Stasis app the web-call dialplan hands browser calls to (context from-web, exten callback): the shared
   * inbound app, `${ARI_APP}-inbound`. Default 'beckon-inbound'.
   */
  inboundApp?: string;
  /**
   * The media side of browsers' calls over SIP/WebSocket (`/ws`): default a werift WebRTC endpoint (ICE,
   * DTLS-SRTP, PCMU tone while something plays), loaded on the first browser call.
   */
  webrtcMedia?: MediaFactory;
  /**
   * The WebRTC agent endpoints browsers register as (name → password, as in pjsip.conf's auth sections). Default
   * webagent1..webagent3 with passwords `<name>-secret`.
   */
  webAgents?: Record<string, string>;
  logger?: Logger;
}

const DEFAULT_WEB_AGENTS: Record<string, string> = {
  webagent1: 'webagent1-secret',
  webagent2: 'webagent2-secret',
  webagent3: 'webagent3-secret',
};

/** The simulator as tests and the demo hold it: its addresses, the control operations, and close. */
export interface Sim extends Omit<SimControl, 'setEndpoint'> {
  /** e.g. http://127.0.0.1:8088 (ARI lives under /ari, the control API under /sim) */
  ariUrl: string;
  port: number;
  amiPort: number;
  close(): Promise<void>;
  setEndpoint(name: string, state: { behavior?: PhoneBehavior; reachable?: boolean }): void;
}

/** booting: REST 503; rest-only: REST answers, WebSockets refused (Asterisk just back); up: both. */
type Phase = 'up' | 'down' | 'booting' | 'rest-only' | 'closed';

const ASTERISK_ID = '02:be:c0:00:00:01';

function refuseUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Starts the Asterisk stand-in: ARI (REST + events) on one port, AMI on another. */
export async function startSim(opts: SimOptions = {}): Promise<Sim> {
  const host = opts.host ?? '127.0.0.1';
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error('timeScale must be a positive number');
  const logger = opts.logger ?? pino({ level: 'silent' });
  let startedAt = Date.now();
  let phase: Phase = 'up';

  const hub = new AriHub(ASTERISK_ID);
  const ami: AmiServer = new AmiServer({
    user: opts.amiUser ?? 'beckon',
    secret: opts.amiSecret ?? 'beckon',
    timeScale,
    logger,
    deviceStates: () => exchange.endpoints.deviceStates(),
    startedAt: () => startedAt,
  });
  const exchange = new Exchange({ timeScale, asteriskId: ASTERISK_ID, logger, ari: hub, ami, indications: opts.indications ?? true,
    cdrMappings: opts.cdrMappings ?? SHIPPED_CDR_MAPPINGS, inboundApp: opts.inboundApp ?? 'beckon-inbound' });
  const ctx: AriContext = {
    exchange,
    hub,
    user: opts.user ?? 'beckon',
    password: opts.password ?? 'beckon',
    asteriskId: ASTERISK_ID,
    startedAt,
  };

  const faults = new RestFaults();
  /** ARI REST with the injected faults (rest-faults.ts): delayed, then failed or carried out. */
  async function handleAriWithFaults(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const fault = faults.take(req.method ?? 'GET', url.pathname.slice('/ari'.length) + url.search);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.status) return sendJson(res, fault.status, { message: `Injected fault (${fault.status})` });
    return handleAri(req, res, url, ctx);
  }

  const control: SimControl = {
    setRules: (rules) => exchange.phoneBook.set(rules),
    resetRules: () => exchange.phoneBook.reset(),
    rules: () => exchange.phoneBook.rules(),
    setEndpoint: (name, state) => exchange.endpoints.set(name, state),
    originates: (filter) => exchange.channels.originates(filter),
    clearOriginates: () => exchange.channels.clearOriginates(),
    channels: () =>
      [...exchange.state.channels.values()].map((ch) => ({
        ...channelJson(ch),
        app: ch.app,
        /** the app the channel is in now ('' outside Stasis): differs from `app` once moved, and for web calls */
        stasis_app: ch.stasisApp,
        dialstring: ch.dialstring,
        bridge_id: ch.bridge?.id ?? null,
        moh: ch.moh,
        muted: { ...ch.muted },
      })),
    dropWebSockets: (o) => (o?.silent ? hub.silenceAll() : hub.dropAll()),
    sendAppEvent: (app, event) => hub.publish([app], { timestamp: ariTime(Date.now()), ...event }),
    restart: (downMs, wsGapMs) => restart(downMs, wsGapMs),
    farEndHangup: (id) => exchange.channels.farEndHangup(id),
    sendDtmf: (id, digit) => exchange.channels.pressKey(id, digit),
    answer: (id) => exchange.channels.pickUp(id),
    calls: () => exchange.phoneLog.list(),
    clearCalls: () => exchange.phoneLog.clear(),
    setFaults: (list) => faults.set(list),
    faults: () => faults.list(),
    clearFaults: () => faults.clear(),
    placeWebCall: (call) => placeWebCall(exchange, call),
    hangUpWebCall: (id) => exchange.channels.farEndHangup(id),
    setWebAgent: (name, password) => softphones.setAccount(name, password),
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const work =
      url.pathname.startsWith('/sim/')
        ? handleControl(req, res, url, control)
        : url.pathname === '/ari' || url.pathname.startsWith('/ari/')
          ? phase === 'booting'
            ? Promise.resolve(sendJson(res, 503, { message: 'Asterisk not booted' }))
            : handleAriWithFaults(req, res, url)
          : Promise.resolve(sendJson(res, 404, { message: 'Not found' }));
    work.catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'sim request failed');
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal simulator error' });
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    if (url.pathname === '/ws') {
      // SIP over WebSocket (RFC 7118) for browsers, on the same HTTP server as ARI, as Asterisk serves it.
      if (phase !== 'up' && phase !== 'rest-only') return refuseUpgrade(socket, 503, 'Service Unavailable', 'Asterisk not booted');
      return sip.accept(req, socket, head);
    }
    if (url.pathname !== '/ari/events') return refuseUpgrade(socket, 404, 'Not Found', 'Not found');
    if (phase !== 'up') return refuseUpgrade(socket, 503, 'Service Unavailable', 'Asterisk not booted');
    if (!authorized(req, url, ctx)) return refuseUpgrade(socket, 401, 'Unauthorized', 'Authentication required');
    const apps = (url.searchParams.get('app') ?? '').split(',').filter((a) => a !== '');
    if (apps.length === 0) return refuseUpgrade(socket, 400, 'Bad Request', 'Missing required param app');
    hub.accept(req, socket, head, apps, url.searchParams.get('subscribeAll') === 'true');
  });

  const listenHttp = (port: number) => listenOn(server, port, host);
  const closeHttp = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const media: MediaFactory = opts.webrtcMedia ?? (() => new WebRtcMedia());
  const softphones = new Softphones({ exchange, accounts: { ...(opts.webAgents ?? DEFAULT_WEB_AGENTS) }, media, timeScale });
  exchange.channels.useSoftphones(softphones);
  ctx.pushConfig = new PushConfig((name, password) => softphones.setAccount(name, password));
  const sip = new SipServer({
    exchange, logger, hostPort: () => `${urlHost}:${port}`, media,
    onRequest: (conn, req) => softphones.onRequest(conn, req),
    onResponse: (conn, res) => softphones.onResponse(conn, res),
    onClose: (conn) => softphones.onClose(conn),
  });
  const port = await listenHttp(opts.port ?? 0);
  let amiPort: number;
  try {
    amiPort = await ami.listen(opts.amiPort ?? 0, host);
  } catch (err) {
    await closeHttp();
    throw err;
  }

  let restarting: Promise<void> | null = null;
  const defaultWsGapMs = (opts.restartWsGapMs ?? 1300) * timeScale;
  async function restart(downMs = Math.max(200, 1500 * timeScale), wsGapMs = defaultWsGapMs): Promise<void> {
    if (restarting) return restarting;
    if (phase !== 'up' && phase !== 'rest-only') throw new Error('the simulator is not running');
    restarting = (async () => {
      logger.info({ downMs }, 'sim restarting');
      phase = 'down';
      exchange.shutdown();
      await ami.shutdown();
      hub.dropAll();
      hub.forgetApps();
      sip.dropAll();
      await closeHttp();
      await sleep(downMs);
      if ((phase as Phase) === 'closed') return;
      exchange.boot();
      softphones.reset();
      ctx.pushConfig?.reset();
      startedAt = Date.now();
      ctx.startedAt = startedAt;
      await listenHttp(port);
      await ami.listen(amiPort, host);
      phase = 'booting';
      await sleep(Math.min(250, downMs / 2));
      if ((phase as Phase) !== 'booting') return;
      phase = 'rest-only';
      logger.info({ wsGapMs }, 'sim REST up; WebSockets still refused');
      await sleep(wsGapMs);
      if ((phase as Phase) === 'rest-only') phase = 'up';
      logger.info('sim back up');
    })().finally(() => {
      restarting = null;
    });
    return restarting;
  }

  logger.debug({ port, amiPort }, 'sim started');

  return {
    ariUrl: `http://${urlHost}:${port}`,
    port,
    amiPort,
    async close() {
      if (phase === 'closed') return;
      phase = 'closed';
      exchange.halt();
      hub.close();
      sip.close();
      softphones.close();
      await ami.close();
      if (server.listening) await closeHttp();
    },
    ...control,
  };
}
