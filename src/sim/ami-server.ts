import net from 'node:net';
import type { Logger } from 'pino';
import { AmiReader, formatAmi, type AmiFields } from './ami-format.ts';
import { listenOn } from './listen.ts';
import type { AmiSink } from './sinks.ts';

export interface AmiServerOptions {
  user: string;
  secret: string;
  timeScale: number;
  logger: Logger;
  /** current device states for DeviceStateList */
  deviceStates: () => Array<[string, string]>;
  /** epoch ms of the last (re)start, for FullyBooted's uptime */
  startedAt: () => number;
}

interface Session {
  socket: net.Socket;
  reader: AmiReader;
  loggedIn: boolean;
  events: boolean;
  closing: boolean;
  /** Filters added with the Filter action: the session's events are the ones these let through. */
  include: RegExp[];
  exclude: RegExp[];
}

const GREETING = 'Asterisk Call Manager/11.0.0\r\n';

/** Answers and event lists repeat the action's ActionID when it had one. */
function actionId(msg: Map<string, string>): AmiFields {
  const id = msg.get('actionid');
  return id !== undefined ? [['ActionID', id]] : [];
}

/** An Events or EventMask value: events stay on unless it says `off`. */
function eventsOn(value: string | undefined): boolean {
  return (value ?? 'on').toLowerCase() !== 'off';
}

/**
 * The Filter action's rule, as Asterisk applies a session's legacy filters: a filter is a regular expression
 * matched anywhere in the event's text ("Event: Cdr"), `!` before it makes it exclude. With include filters an
 * event must match one of them; an event matching an exclude filter is dropped. Replies to actions (the
 * events of a list such as DeviceStateList) are not events of the session's stream and are never filtered.
 */
function passes(s: Session, text: string): boolean {
  if (s.include.length && !s.include.some((r) => r.test(text))) return false;
  return !s.exclude.some((r) => r.test(text));
}

/** The AMI TCP port: the line protocol, Login/Ping/Logoff and the events of the exchange. */
export class AmiServer implements AmiSink {
  private server: net.Server | null = null;
  private readonly sessions = new Set<Session>();
  private listeners = 0;
  port = 0;

  constructor(private readonly opts: AmiServerOptions) {}

  get listening(): boolean {
    return this.listeners > 0;
  }

  async listen(port: number, host: string): Promise<number> {
    const server = net.createServer((socket) => this.open(socket));
    this.port = await listenOn(server, port, host);
    this.server = server;
    return this.port;
  }

  private open(socket: net.Socket): void {
    const s: Session = { socket, reader: new AmiReader(), loggedIn: false, events: false, closing: false, include: [], exclude: [] };
    this.sessions.add(s);
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.write(GREETING);
    socket.on('data', (chunk: string) => {
      for (const msg of s.reader.feed(chunk)) this.action(s, msg);
    });
    const gone = () => this.drop(s);
    socket.on('close', gone);
    socket.on('error', gone);
  }

  private drop(s: Session): void {
    if (!this.sessions.delete(s)) return;
    if (s.loggedIn && s.events) this.listeners--;
  }

  private write(s: Session, fields: AmiFields): void {
    if (!s.closing && !s.socket.destroyed) s.socket.write(formatAmi(fields));
  }

  private respond(s: Session, msg: Map<string, string>, response: string, rest: AmiFields): void {
    this.write(s, [['Response', response], ...actionId(msg), ...rest]);
  }

  private action(s: Session, msg: Map<string, string>): void {
    const name = (msg.get('action') ?? '').toLowerCase();
    if (s.closing) return;
    if (name === '') {
      this.respond(s, msg, 'Error', [['Message', 'Missing action in request']]);
      return;
    }
    if (name === 'login') return this.login(s, msg);
    if (name === 'logoff') {
      this.respond(s, msg, 'Goodbye', [['Message', 'Session closed']]);
      s.closing = true;
      s.socket.end();
      return;
    }
    if (!s.loggedIn) {
      this.respond(s, msg, 'Error', [['Message', 'Authentication required']]);
      return;
    }
    switch (name) {
      case 'ping':
        this.respond(s, msg, 'Success', [['Ping', 'Pong'], ['Timestamp', (Date.now() / 1000).toFixed(6)]]);
        return;
      case 'coresettings':
        this.respond(s, msg, 'Success', [
          ['AMIversion', '11.0.0'],
          ['AsteriskVersion', '22.10.1'],
          ['SystemName', 'beckon-sim'],
          ['CoreMaxCalls', 0],
          ['CoreMaxLoadAvg', '0.000000'],
          ['CoreRunUser', ''],
          ['CoreRunGroup', ''],
          ['CoreMaxFilehandles', 0],
          ['CoreRealTimeEnabled', 'No'],
          ['CoreCDRenabled', 'Yes'],
          ['CoreHTTPenabled', 'Yes'],
          ['SoundsSearchCustomDir', 'No'],
        ]);
        return;
      case 'events': {
        const on = eventsOn(msg.get('eventmask'));
        this.setEvents(s, on);
        this.respond(s, msg, 'Success', [['Events', on ? 'On' : 'Off']]);
        return;
      }
      case 'filter': {
        if ((msg.get('operation') ?? '').toLowerCase() !== 'add') {
          this.respond(s, msg, 'Error', [['Message', 'Unknown operation']]);
          return;
        }
        const raw = msg.get('filter') ?? '';
        const exclude = raw.startsWith('!');
        let re: RegExp;
        try {
          if (!raw || raw === '!') throw new Error('empty');
          re = new RegExp(exclude ? raw.slice(1) : raw);
        } catch {
          this.respond(s, msg, 'Error', [['Message', 'Filter Not Compiled']]);
          return;
        }
        (exclude ? s.exclude : s.include).push(re);
        this.respond(s, msg, 'Success', [['Message', 'Filter Added Successfully']]);
        return;
      }
      case 'devicestatelist': {
        const idField = actionId(msg);
        this.respond(s, msg, 'Success', [['EventList', 'start'], ['Message', 'Device states follow']]);
        const states = this.opts.deviceStates();
        for (const [device, state] of states) {
          this.write(s, [['Event', 'DeviceStateChange'], ...idField, ['Device', device], ['State', state]]);
        }
        this.write(s, [['Event', 'DeviceStateListComplete'], ...idField, ['EventList', 'Complete'], ['ListItems', states.length]]);
        return;
      }
      default:
        this.respond(s, msg, 'Error', [['Message', `Unknown action: ${msg.get('action')}`]]);
    }
  }

  private setEvents(s: Session, on: boolean): void {
    if (s.events === on) return;
    s.events = on;
    this.listeners += on ? 1 : -1;
  }

  private login(s: Session, msg: Map<string, string>): void {
    if (msg.get('username') === this.opts.user && msg.get('secret') === this.opts.secret) {
      s.loggedIn = true;
      this.respond(s, msg, 'Success', [['Message', 'Authentication accepted']]);
      // Only `Events: off` silences a session; asterisk-manager sends `Event: on`, which is ignored.
      const on = eventsOn(msg.get('events'));
      this.setEvents(s, on);
      if (on) {
        const up = Math.round((Date.now() - this.opts.startedAt()) / 1000);
        this.write(s, [['Event', 'FullyBooted'], ['Privilege', 'system,all'], ['Uptime', up], ['LastReload', up], ['Status', 'Fully Booted']]);
      }
      return;
    }
    // Asterisk waits a second before refusing and then closes the session.
    s.closing = true;
    setTimeout(() => {
      if (s.socket.destroyed) return;
      s.socket.end(formatAmi([['Response', 'Error'], ...actionId(msg), ['Message', 'Authentication failed']]));
    }, 1000 * this.opts.timeScale);
  }

  send(fields: AmiFields): void {
    const text = formatAmi(fields);
    for (const s of this.sessions) if (s.loggedIn && s.events && !s.closing && passes(s, text)) s.socket.write(text);
  }

  /** Restart: announce the shutdown, then hang up every session and stop listening. */
  async shutdown(): Promise<void> {
    this.send([['Event', 'Shutdown'], ['Privilege', 'system,all'], ['Shutdown', 'Cleanly'], ['Restart', 'True']]);
    await this.close();
  }

  async close(): Promise<void> {
    for (const s of [...this.sessions]) {
      s.closing = true;
      s.socket.end();
      // a peer that does not finish the close must not keep the port busy
      setTimeout(() => s.socket.destroy(), 200).unref();
      this.drop(s);
    }
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
