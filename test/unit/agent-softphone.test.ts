import test from 'ava';
import { credentialsFor, newSipPassword, softphoneEndpoint, softphoneObjects } from '../../src/agents/softphone.ts';

const ID = '3f2a9c1b-7d4e-4a5b-9c8d-0123456789ab';

test('an agent configured on a webagent endpoint answers on it; any other gets one named after it', (t) => {
  t.deepEqual(softphoneEndpoint({ id: ID, endpoint: 'PJSIP/webagent2' }), { name: 'webagent2', device: 'PJSIP/webagent2', declared: true });
  t.deepEqual(softphoneEndpoint({ id: ID, endpoint: 'pjsip/WebAgent7' }), { name: 'WebAgent7', device: 'PJSIP/WebAgent7', declared: true });
  t.deepEqual(softphoneEndpoint({ id: ID, endpoint: 'PJSIP/agent1' }), { name: 'webagent-3f2a9c1b7d4e', device: 'PJSIP/webagent-3f2a9c1b7d4e', declared: false });
  t.is(softphoneEndpoint({ id: ID, endpoint: 'SIP/webagent1' }).declared, false, 'only a PJSIP webagent endpoint is a browser one');
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
