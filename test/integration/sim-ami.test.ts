import net from 'node:net';
import { readFileSync } from 'node:fs';
import test from 'ava';
import AsteriskManager from 'asterisk-manager';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { EventLog, restClient } from '../helpers/sim-ari.ts';

type AmiEvent = Record<string, string>;

let sim: Sim;
test.before(async () => {
  sim = await startSim({ timeScale: 0.2, amiUser: 'ami', amiSecret: 'ami-secret' });
});
test.after.always(async () => {
  await sim?.close();
});

/** asterisk-manager logs in as soon as it connects; every event arrives lower-cased. */
function manager(secret = 'ami-secret') {
  const ami = AsteriskManager(sim.amiPort, '127.0.0.1', 'ami', secret, true);
  const events: AmiEvent[] = [];
  const waiters: Array<[(e: AmiEvent) => boolean, (e: AmiEvent) => void]> = [];
  ami.on('managerevent', (e: AmiEvent) => {
    events.push(e);
    for (const w of [...waiters]) {
      if (w[0](e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w[1](e);
      }
    }
  });
  const waitFor = (pred: (e: AmiEvent) => boolean) =>
    new Promise<AmiEvent>((resolve, reject) => {
      const seen = events.find(pred);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`no such AMI event; got ${events.map((e) => e.event).join(', ')}`)), 5000);
      waiters.push([pred, (e) => (clearTimeout(timer), resolve(e))]);
    });
  return { ami, events, waitFor };
}

test.serial('asterisk-manager logs in and receives call events, Cdr and DeviceStateChange', async (t) => {
  const { ami, waitFor, events } = manager();
  t.teardown(() => ami.disconnect());
  await waitFor((e) => e.event === 'FullyBooted');
  const pong = await new Promise<AmiEvent>((resolve, reject) =>
    ami.action({ action: 'Ping' }, (err: unknown, res: AmiEvent) => (err ? reject(err) : resolve(res))),
  );
  t.is(pong.ping, 'Pong');

  const rest = restClient(sim);
  const log = await EventLog.open(sim, 'ami-app');
  t.teardown(() => log.close());
  await rest('POST', '/ari/channels?endpoint=PJSIP/15551234566@carrier&app=ami-app&appArgs=visitor&channelId=visitor-ami&callerId=%22Lab%22%20%3C15550001111%3E', {
    variables: { 'CHANNEL(accountcode)': 'acct-42', 'CDR(userfield)': 'cb-req-42' },
  });
  await log.waitFor((e) => e.type === 'StasisStart');
  await rest('POST', '/ari/channels?endpoint=PJSIP/agent1&app=ami-app&appArgs=agent&channelId=agent-ami&originator=visitor-ami');
  await log.waitFor((e) => e.type === 'StasisStart' && e.channel.id === 'agent-ami');
  const bridge = (await rest('POST', '/ari/bridges?type=mixing')).body;
  await rest('POST', `/ari/bridges/${bridge.id}/addChannel?channel=visitor-ami`);
  await rest('POST', `/ari/bridges/${bridge.id}/addChannel?channel=agent-ami`);
  await waitFor((e) => e.event === 'DeviceStateChange' && e.device === 'PJSIP/agent1' && e.state === 'INUSE');
  await rest('DELETE', '/ari/channels/visitor-ami');
  await rest('DELETE', '/ari/channels/agent-ami');

  const visitorCdr = await waitFor((e) => e.event === 'Cdr' && e.uniqueid === 'visitor-ami');
  t.like(visitorCdr, {
    disposition: 'ANSWERED',
    accountcode: 'acct-42',
    userfield: 'cb-req-42',
    source: '15550001111',
    destinationcontext: 'from-sip',
    lastapplication: 'Stasis',
    lastdata: 'ami-app,visitor',
    linkedid: 'visitor-ami',
    peeraccount: 'acct-42',
    amaflags: 'DOCUMENTATION',
  });
  t.regex(visitorCdr.channel!, /^PJSIP\/carrier-[0-9a-f]{8}$/);
  t.regex(visitorCdr.destinationchannel!, /^PJSIP\/agent1-[0-9a-f]{8}$/);
  t.regex(visitorCdr.starttime!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  const agentCdr = await waitFor((e) => e.event === 'Cdr' && e.uniqueid === 'agent-ami');
  t.like(agentCdr, { disposition: 'ANSWERED', accountcode: 'acct-42', linkedid: 'visitor-ami', lastdata: 'ami-app,agent' });
  await waitFor((e) => e.event === 'DeviceStateChange' && e.device === 'PJSIP/agent1' && e.state === 'NOT_INUSE');
  const hangup = await waitFor((e) => e.event === 'Hangup' && e.uniqueid === 'visitor-ami');
  t.like(hangup, { cause: '16', 'cause-txt': 'Normal Clearing' });

  // busy: a Cdr with BUSY and no answer time
  await rest('POST', '/ari/channels?endpoint=PJSIP/15551234560@carrier&app=ami-app&channelId=visitor-ami-busy');
  const busy = await waitFor((e) => e.event === 'Cdr' && e.uniqueid === 'visitor-ami-busy');
  t.like(busy, { disposition: 'BUSY', answertime: '', billableseconds: '0', lastapplication: 'AppDial2' });

  const carrierStates = events.filter((e) => e.event === 'DeviceStateChange' && e.device === 'PJSIP/carrier').map((e) => e.state);
  t.deepEqual(carrierStates.slice(0, 3), ['RINGING', 'INUSE', 'NOT_INUSE']);
});

test.serial('an agent going unreachable and back shows in PeerStatus, ContactStatus and DeviceStateChange', async (t) => {
  const { ami, waitFor } = manager();
  t.teardown(() => ami.disconnect());
  await waitFor((e) => e.event === 'FullyBooted');
  sim.setEndpoint('PJSIP/agent1', { reachable: false });
  t.like(await waitFor((e) => e.event === 'PeerStatus'), { peer: 'PJSIP/agent1', peerstatus: 'Unreachable' });
  t.like(await waitFor((e) => e.event === 'ContactStatus'), { aor: 'agent1', contactstatus: 'Unreachable', roundtripusec: '0' });
  await waitFor((e) => e.event === 'DeviceStateChange' && e.device === 'PJSIP/agent1' && e.state === 'UNAVAILABLE');

  const list = await new Promise<AmiEvent>((resolve, reject) =>
    ami.action({ action: 'DeviceStateList' }, (err: unknown, res: AmiEvent) => (err ? reject(err) : resolve(res))),
  );
  t.is(list.response, 'Success');
  await waitFor((e) => e.event === 'DeviceStateListComplete');

  sim.setEndpoint('PJSIP/agent1', { reachable: true });
  await waitFor((e) => e.event === 'PeerStatus' && e.peerstatus === 'Reachable');
  await waitFor((e) => e.event === 'DeviceStateChange' && e.device === 'PJSIP/agent1' && e.state === 'NOT_INUSE');
});

test.serial('a wrong secret gets an error and a closed socket, as Asterisk does', async (t) => {
  const socket = net.connect(sim.amiPort, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  socket.write('Action: Login\r\nActionID: bad-1\r\nUsername: ami\r\nSecret: wrong\r\n\r\n');
  await new Promise((resolve) => socket.on('close', resolve));
  t.true(received.startsWith('Asterisk Call Manager/11.0.0\r\n'));
  t.regex(received, /Response: Error\r\nActionID: bad-1\r\nMessage: Authentication failed\r\n\r\n$/);
});

test.serial('Cdr events carry the fields cdr_manager.conf maps: the shipped ones, or only the defaults without [mappings]', async (t) => {
  const trace = JSON.parse(readFileSync(new URL('../fixtures/traces/cdr.json', import.meta.url), 'utf8')) as {
    withoutMappings: AmiEvent[]; withMappings: AmiEvent[];
  };
  const busyCdr = async (s: Sim, channelId: string) => {
    const ami = AsteriskManager(s.amiPort, '127.0.0.1', 'ami', 'ami-secret', true);
    t.teardown(() => ami.disconnect());
    const cdr = new Promise<AmiEvent>((resolve) => ami.on('managerevent', (e: AmiEvent) => { if (e.event === 'Cdr' && e.uniqueid === channelId) resolve(e); }));
    await new Promise<void>((resolve) => ami.on('managerevent', (e: AmiEvent) => { if (e.event === 'FullyBooted') resolve(); }));
    await restClient(s)('POST', `/ari/channels?endpoint=PJSIP/15551234560@carrier&app=ami-app&channelId=${channelId}`);
    return cdr;
  };
  const shipped = await busyCdr(sim, 'visitor-mapped');
  t.deepEqual(Object.keys(shipped), Object.keys(trace.withMappings[0]!));
  t.like(shipped, { linkedid: 'visitor-mapped', disposition: 'BUSY' });
  t.regex(shipped.sequence!, /^\d+$/);

  const stock = await startSim({ timeScale: 0.2, amiUser: 'ami', amiSecret: 'ami-secret', cdrMappings: [] });
  t.teardown(() => stock.close());
  const plain = await busyCdr(stock, 'visitor-unmapped');
  t.deepEqual(Object.keys(plain), Object.keys(trace.withoutMappings[0]!));
  for (const absent of ['linkedid', 'sequence', 'peeraccount']) t.false(absent in plain, absent);
});

test.serial('Filter: with include filters only matching events arrive, `!` excludes, replies to actions are never filtered', async (t) => {
  const { ami, events, waitFor } = manager();
  t.teardown(() => ami.disconnect());
  await new Promise<void>((resolve) => ami.once('connect', () => resolve()));
  const act = (fields: Record<string, string>) => new Promise<Record<string, string>>((resolve) => ami.action(fields, (err: unknown, res: Record<string, string>) => resolve((err ?? res) as Record<string, string>)));
  t.like(await act({ action: 'Filter', operation: 'Add', filter: 'Event: Cdr' }), { response: 'Success', message: 'Filter Added Successfully' });
  t.like(await act({ action: 'Filter', operation: 'Add', filter: 'Event: DeviceStateChange' }), { response: 'Success' });
  t.like(await act({ action: 'Filter', operation: 'Add', filter: '!Device: PJSIP/carrier' }), { response: 'Success' });
  t.like(await act({ action: 'Filter', operation: 'Remove', filter: 'Event: Cdr' }), { response: 'Error', message: 'Unknown operation' });
  t.like(await act({ action: 'Filter', operation: 'Add', filter: '(' }), { response: 'Error' });
  const rest = restClient(sim);
  await rest('POST', '/ari/channels?endpoint=PJSIP/15551234561@carrier&app=ami-filter&channelId=bk-v-ami-filter');
  await waitFor((e) => e.event === 'Cdr' && e.uniqueid === 'bk-v-ami-filter');
  t.deepEqual([...new Set(events.map((e) => e.event))].filter((n) => n !== 'FullyBooted').sort(), ['Cdr'], 'no Newchannel, Hangup, Dial*, and the trunk\'s DeviceStateChange is excluded');
  const list = await act({ action: 'DeviceStateList' });
  t.is(list.response, 'Success');
});
