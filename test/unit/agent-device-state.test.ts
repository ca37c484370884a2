import test from 'ava';
import { deviceUpdateFromAmi, trunkDevice } from '../../src/agents/device-state.ts';

test('DeviceStateChange gives the state directly', (t) => {
  t.deepEqual(deviceUpdateFromAmi({ event: 'DeviceStateChange', device: 'PJSIP/agent1', state: 'INUSE' }), { device: 'PJSIP/agent1', state: 'INUSE' });
  t.deepEqual(deviceUpdateFromAmi({ event: 'DeviceStateChange', device: 'PJSIP/agent1', state: 'not_inuse' }), { device: 'PJSIP/agent1', state: 'NOT_INUSE' });
});

test('unreachable contact or peer makes the device UNAVAILABLE; reachable is left to DeviceStateChange', (t) => {
  t.deepEqual(deviceUpdateFromAmi({ event: 'ContactStatus', aor: 'agent1', contactstatus: 'Unreachable' }), { device: 'PJSIP/agent1', state: 'UNAVAILABLE' });
  t.deepEqual(deviceUpdateFromAmi({ event: 'PeerStatus', peer: 'PJSIP/agent1', peerstatus: 'Unreachable' }), { device: 'PJSIP/agent1', state: 'UNAVAILABLE' });
  t.is(deviceUpdateFromAmi({ event: 'ContactStatus', aor: 'agent1', contactstatus: 'Reachable' }), null);
  t.is(deviceUpdateFromAmi({ event: 'PeerStatus', peer: 'PJSIP/agent1', peerstatus: 'Reachable' }), null);
});

test('other events are ignored', (t) => {
  t.is(deviceUpdateFromAmi({ event: 'Newchannel', channel: 'PJSIP/agent1-0001' }), null);
  t.is(deviceUpdateFromAmi({ event: 'DeviceStateChange' }), null);
});

test('the trunk device, whose states are not stored, follows the trunk template', (t) => {
  t.is(trunkDevice('PJSIP/{number}@carrier'), 'PJSIP/carrier');
  t.is(trunkDevice('SIP/carrier/{number}'), 'SIP/carrier');
  t.is(trunkDevice('Local/{number}@from-internal/n'), null);
  t.is(trunkDevice('PJSIP/agent1'), null);
});
