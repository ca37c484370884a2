import test from 'ava';
import { pino } from 'pino';
import { AMI_EVENTS_READ, AmiAdapter, type AmiEvent } from '../../src/telephony/ami-adapter.ts';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { restClient } from '../helpers/sim-ari.ts';

const log = pino({ level: 'silent' });
let sim: Sim;
test.before(async () => { sim = await startSim({ timeScale: 0.05, amiUser: 'ami', amiSecret: 'ami-secret' }); });
test.after.always(async () => { await sim?.close(); });

function adapter(secret = 'ami-secret', port = () => sim.amiPort) {
  return new AmiAdapter({ host: '127.0.0.1', port: port(), user: 'ami', secret, log, minBackoffMs: 50, maxBackoffMs: 200 });
}

function waitEvent(ami: AmiAdapter, pred: (e: AmiEvent) => boolean, ms = 5000): Promise<AmiEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ami.off('event', on); reject(new Error('no matching AMI event')); }, ms);
    const on = (e: AmiEvent) => { if (pred(e)) { clearTimeout(timer); ami.off('event', on); resolve(e); } };
    ami.on('event', on);
  });
}

test.serial('logs in, emits Cdr events with lower-cased keys, answers actions', async (t) => {
  const ami = adapter();
  t.teardown(() => ami.close());
  await ami.connect();
  t.true(ami.connected);
  const pong = await ami.action({ action: 'Ping' });
  t.is(pong.ping, 'Pong');
  const cdr = waitEvent(ami, (e) => e.event === 'Cdr' && e.uniqueid === 'bk-v-ami-busy');
  const rest = restClient(sim);
  await rest('POST', '/ari/channels?endpoint=PJSIP/15551234560@carrier&app=ami-test&channelId=bk-v-ami-busy');
  t.like(await cdr, { disposition: 'BUSY', billableseconds: '0', answertime: '' });
});

test.serial('the session reads only the events the worker uses: a call brings its Cdr, not Newchannel, Dial* or Hangup', async (t) => {
  const ami = adapter();
  t.teardown(() => ami.close());
  await ami.connect();
  const names = new Set<string>();
  ami.on('event', (e: AmiEvent) => names.add(e.event));
  const cdr = waitEvent(ami, (e) => e.event === 'Cdr' && e.uniqueid === 'bk-v-ami-filtered');
  await restClient(sim)('POST', '/ari/channels?endpoint=PJSIP/15551234562@carrier&app=ami-test&channelId=bk-v-ami-filtered');
  await cdr;
  t.true(names.has('Cdr'));
  t.deepEqual([...names].filter((n) => !(AMI_EVENTS_READ as readonly string[]).includes(n)), []);
});

test.serial('a wrong secret is refused with a clear error, well within the login deadline', async (t) => {
  const ami = adapter('wrong');
  t.teardown(() => ami.close());
  const started = Date.now();
  const err = await t.throwsAsync(ami.connect());
  t.regex(err!.message, /AMI_USER\/AMI_SECRET/);
  t.true(Date.now() - started < 5000);
  t.false(ami.connected);
});

test.serial('nothing listening: connect rejects naming host and port', async (t) => {
  const ami = adapter('ami-secret', () => 1);
  const err = await t.throwsAsync(ami.connect());
  t.regex(err!.message, /127\.0\.0\.1:1/);
});

test.serial('reconnects after Asterisk restarts and keeps delivering events', async (t) => {
  const ami = adapter();
  t.teardown(() => ami.close());
  await ami.connect();
  const disconnected = new Promise<void>((r) => ami.once('disconnected', () => r()));
  const reconnected = new Promise<void>((r) => ami.once('connected', () => r()));
  await sim.restart(100);
  await disconnected;
  await reconnected;
  t.true(ami.connected);
  t.is(ami.reconnects, 1);
  const cdr = waitEvent(ami, (e) => e.event === 'Cdr' && e.uniqueid === 'bk-v-ami-after');
  await restClient(sim)('POST', '/ari/channels?endpoint=PJSIP/15551234560@carrier&app=ami-test&channelId=bk-v-ami-after');
  t.is((await cdr).disposition, 'BUSY');
});
