import test from 'ava';
import { loadConfig, webSocketUrlOf, ConfigError } from '../../src/platform/config.ts';

test('web calls are off unless turned on; the ticket lives 60 s and no ICE server is handed out by default', (t) => {
  const c = loadConfig({});
  t.false(c.WEBCALL_ENABLED);
  t.is(c.WEBCALL_TICKET_TTL_SEC, 60);
  t.deepEqual(c.WEBCALL_ICE_SERVERS, []);
  t.true(loadConfig({ WEBCALL_ENABLED: 'true' }).WEBCALL_ENABLED);
});

test('the WebSocket address follows ARI_URL unless set', (t) => {
  t.is(loadConfig({ ARI_URL: 'http://pbx.example:8088' }).WEBCALL_WS_URL, 'ws://pbx.example:8088/ws');
  t.is(loadConfig({ ARI_URL: 'https://pbx.example:8089/ari-base' }).WEBCALL_WS_URL, 'wss://pbx.example:8089/ws');
  t.is(webSocketUrlOf('http://127.0.0.1:8088'), 'ws://127.0.0.1:8088/ws');
  t.is(loadConfig({ WEBCALL_WS_URL: 'wss://sip.example/ws' }).WEBCALL_WS_URL, 'wss://sip.example/ws');
  t.throws(() => loadConfig({ WEBCALL_WS_URL: 'http://sip.example/ws' }), { instanceOf: ConfigError, message: /WEBCALL_WS_URL/ });
});

test('ICE servers are a validated JSON array of RTCIceServer', (t) => {
  const servers = [{ urls: 'stun:stun.example:3478' }, { urls: ['turn:turn.example:3478?transport=udp'], username: 'u', credential: 'p' }];
  t.deepEqual(loadConfig({ WEBCALL_ICE_SERVERS: JSON.stringify(servers) }).WEBCALL_ICE_SERVERS, servers);
  for (const bad of ['not json', '{"urls":"stun:x"}', '[{"urls":"http://x"}]', '[{"url":"stun:x"}]']) {
    t.throws(() => loadConfig({ WEBCALL_ICE_SERVERS: bad }), { instanceOf: ConfigError, message: /WEBCALL_ICE_SERVERS/ }, bad);
  }
});
