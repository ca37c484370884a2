import dc from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import ari from 'ari-client';

/**
 * The call-carrying baseline: the same ARI client library doing the same ARI requests per call as Beckon's
 * customer-first flow (originate, answer, bridge, confirm prompt, music on hold, callee originate, join,
 * hang up the other leg, destroy the bridge) with nothing else: no PostgreSQL, no queue, no stored state
 * machine, no logging. Beckon's worker against this shows what persistence and bookkeeping cost per call.
 *
 * env: ARI_URL, APP, NUMBERS_FILE (JSON array of E.164 visitor numbers), CALLEE (E.164), CONCURRENCY
 * (originates in flight, like the worker's job concurrency), PROMPT (comma list). Starts dialing on SIGUSR2.
 */

/**
 * ari-client's REST requests go through Node's global agent, which by default opens a new connection for every
 * request made while the others are busy: thousands of calls set up at once mean thousands of connections at
 * once, more than the server's listen backlog holds (Node's 511; Asterisk's HTTP server listens with 10), and
 * the kernel drops or resets some of them. A bounded pool of kept-alive connections queues those requests instead.
 * Idle connections are closed after 4 s, before the server closes them (the simulator after 5 s, Asterisk after
 * 15 s), so a request never goes out on a connection the server is closing: the same keep-alive and idle time as
 * Beckon's ARI client (src/telephony/ari-http.ts). ari-client's WebSocket has its own connection, outside the pool.
 */
http.globalAgent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });
/**
 * ari-client never settles a request whose connection fails (swagger-client 2.0 ignores shred's request_error),
 * so the call waiting on it would stall without a word: such failures are printed here.
 */
dc.subscribe('http.client.request.error', (m) => {
  const { request, error } = m as { request: http.ClientRequest; error: NodeJS.ErrnoException };
  process.stdout.write(`ari request failed, its call stalls: ${request.method} ${request.path}: ${error.code ?? ''} ${error.message}\n`);
});
const env = process.env;
const numbers: string[] = JSON.parse(readFileSync(env.NUMBERS_FILE!, 'utf8'));
const callee = env.CALLEE!.replace(/^\+/, '');
const app = env.APP ?? 'bare-ari';
const concurrency = Number(env.CONCURRENCY ?? 50);
const prompt = env.PROMPT ?? 'sound:hello-world,sound:vm-press,digits:1';

interface Call { visitorUp: boolean; calleeUp: boolean; ended: boolean }
const calls = new Map<string, Call>();
const ignore = () => {};

const client: any = await ari.connect(env.ARI_URL!, 'beckon', 'beckon');
const ids = (n: string) => ({ visitor: `bare-v-${n}`, callee: `bare-c-${n}`, bridge: `bare-b-${n}`, playback: `bare-p-${n}` });
const parse = (id: string | undefined) => { const m = /^bare-([vc])-(\d+)$/.exec(id ?? ''); return m ? { leg: m[1] as 'v' | 'c', n: m[2]! } : null; };

async function end(n: string, call: Call): Promise<void> {
  if (call.ended) return;
  call.ended = true;
  const i = ids(n);
  if (call.visitorUp) await client.channels.hangup({ channelId: i.visitor }).catch(ignore);
  if (call.calleeUp) await client.channels.hangup({ channelId: i.callee }).catch(ignore);
  await client.bridges.destroy({ bridgeId: i.bridge }).catch(ignore);
}

client.on('*', (e: any) => {
  const p = parse(e.channel?.id);
  if (!p) return;
  const call = calls.get(p.n);
  if (!call) return;
  const i = ids(p.n);
  void (async () => {
    switch (e.type) {
      case 'StasisStart':
        if (p.leg === 'v') {
          await client.channels.answer({ channelId: i.visitor });
          await client.bridges.create({ type: 'mixing', bridgeId: i.bridge, name: i.bridge });
          await client.bridges.addChannel({ bridgeId: i.bridge, channel: i.visitor });
          await client.channels.play({ channelId: i.visitor, playbackId: i.playback, media: prompt });
        } else {
          await client.channels.stopMoh({ channelId: i.visitor }).catch(ignore);
          await client.bridges.addChannel({ bridgeId: i.bridge, channel: i.callee });
        }
        return;
      case 'ChannelDtmfReceived':
        if (p.leg !== 'v' || e.digit !== '1' || call.calleeUp) return;
        await client.playbacks.stop({ playbackId: i.playback }).catch(ignore);
        await client.channels.startMoh({ channelId: i.visitor, mohClass: 'default' });
        call.calleeUp = true;
        await client.channels.originate({ endpoint: `PJSIP/${callee}@carrier`, app, appArgs: `callee,${p.n}`, callerId: `+${callee}`, timeout: 30, channelId: i.callee });
        return;
      case 'ChannelDestroyed':
        if (p.leg === 'v') call.visitorUp = false; else call.calleeUp = false;
        await end(p.n, call);
        return;
    }
  })().catch((err) => { process.stdout.write(`call ${p.n} error: ${(err as Error).message}\n`); void end(p.n, call); });
});
await client.start(app);
process.stdout.write('bare ari ready\n');

process.once('SIGUSR2', () => {
  void (async () => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < numbers.length) {
        const n = String(next++);
        calls.set(n, { visitorUp: true, calleeUp: false, ended: false });
        await client.channels.originate({ endpoint: `PJSIP/${numbers[Number(n)]!.replace(/^\+/, '')}@carrier`, app, appArgs: `visitor,${n}`, callerId: '+12025550111', timeout: 30, channelId: ids(n).visitor })
          .catch((err: Error) => { process.stdout.write(`originate ${n} failed: ${err.message}\n`); calls.get(n)!.ended = true; });
      }
    }));
    process.stdout.write('bare ari dialed all\n');
  })();
});
process.on('SIGTERM', () => { try { client.stop(); } catch { /* closed */ } process.exit(0); });
