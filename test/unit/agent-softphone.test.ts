import test from 'ava';
import { credentialsFor, newSipPassword, softphoneEndpoint, softphoneObjects } from '../../src/agents/softphone.ts';

const ID = '3f2a9c1b-7d4e-4a5b-9c8d-0123456789ab';

test("an operator's agent configured on a declared webagent endpoint answers on it; any other gets one named after it", (t) => {
  const pool = (endpoint: string) => ({ id: ID, endpoint, ownerSubscriberId: null });
  const own = { name: 'webagent-3f2a9c1b7d4e', device: 'PJSIP/webagent-3f2a9c1b7d4e', declared: false };
  t.deepEqual(softphoneEndpoint(pool('PJSIP/webagent2')), { name: 'webagent2', device: 'PJSIP/webagent2', declared: true });
  t.deepEqual(softphoneEndpoint(pool('pjsip/WebAgent7')), { name: 'WebAgent7', device: 'PJSIP/WebAgent7', declared: true });
  t.deepEqual(softphoneEndpoint(pool('PJSIP/agent1')), own);
  t.is(softphoneEndpoint(pool('SIP/webagent1')).declared, false, 'only a PJSIP webagent endpoint is a browser one');
  t.deepEqual(softphoneEndpoint(pool('PJSIP/webagent-3f2a9c1b7d4e')), own, 'its own name: Beckon pushes aor and endpoint too');
});

test("a webagent- name is Beckon's, never declared: an agent on another agent's gets its own", (t) => {
  const own = { name: 'webagent-3f2a9c1b7d4e', device: 'PJSIP/webagent-3f2a9c1b7d4e', declared: false };
  t.deepEqual(softphoneEndpoint({ id: ID, endpoint: 'PJSIP/webagent-0123456789ab', ownerSubscriberId: null }), own);
  t.deepEqual(softphoneEndpoint({ id: ID, endpoint: 'PJSIP/WEBAGENT-0123456789ab', ownerSubscriberId: null }), own);
});

test("a subscriber's agent answers on its own softphone whatever its row names: never a declared webagentN", (t) => {
  const own = { name: 'webagent-3f2a9c1b7d4e', device: 'PJSIP/webagent-3f2a9c1b7d4e', declared: false };
  const sub = '11111111-2222-4333-8444-555555555555';
  for (const endpoint of ['PJSIP/webagent1', 'PJSIP/webagent-0123456789ab', 'PJSIP/agent1', 'PJSIP/carrier']) {
    t.deepEqual(softphoneEndpoint({ id: ID, endpoint, ownerSubscriberId: sub }), own, endpoint);
  }
});

test('passwords are long, random and safe in a header', (t) => {
  const a = newSipPassword();
  t.regex(a, /^[A-Za-z0-9_-]{43}$/);
  t.not(a, newSipPassword());
});

test('a declared endpoint gets its auth pushed; one named after the agent gets aor and endpoint too, in from-agents', (t) => {
  const declared = softphoneObjects({ name: 'webagent1', declared: true }, 'pw');
  t.deepEqual(declared, [{ type: 'auth', id: 'webagent1', fields: [
    { attribute: 'auth_type', value: 'userpass' }, { attribute: 'username', value: 'webagent1' }, { attribute: 'password', value: 'pw' },
  ] }]);
  const own = softphoneObjects({ name: 'webagent-x', declared: false }, 'pw');
  t.deepEqual(own.map((o) => o.type), ['auth', 'aor', 'endpoint']);
  const endpoint = new Map(own[2]!.fields.map((f) => [f.attribute, f.value]));
  t.is(endpoint.get('webrtc'), 'yes');
  t.is(endpoint.get('context'), 'from-agents');
  t.is(endpoint.get('auth'), 'webagent-x');
  t.is(endpoint.get('aors'), 'webagent-x');
  t.is(new Map(own[1]!.fields.map((f) => [f.attribute, f.value])).get('max_contacts'), '1');
});

test('credentials name the WebSocket\'s host in the SIP URI', (t) => {
  t.deepEqual(credentialsFor('webagent1', 'pw', 'wss://pbx.example.com/ws', []), {
    uri: 'sip:webagent1@pbx.example.com', user: 'webagent1', password: 'pw', wsUrl: 'wss://pbx.example.com/ws', iceServers: [],
  });
});
