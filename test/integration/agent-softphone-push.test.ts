import test from 'ava';
import { startSim, type Sim } from '../../src/sim/index.ts';

/**
 * The simulator's ARI push configuration, which the console softphone's credentials go through: a pushed auth
 * sets a browser agent's password (its account added if new), reads back, and is forgotten by DELETE or a restart.
 */
let sim: Sim;
test.before(async () => { sim = await startSim({ timeScale: 0.05 }); });
test.after.always(async () => { await sim?.close(); });

const ari = (method: string, path: string, body?: unknown) => fetch(`${sim.ariUrl}/ari${path}`, {
  method, headers: { authorization: `Basic ${Buffer.from('beckon:beckon').toString('base64')}`, ...(body ? { 'content-type': 'application/json' } : {}) },
  ...(body ? { body: JSON.stringify(body) } : {}),
});
const fields = (password: string, user = 'webagent7') => ({ fields: [
  { attribute: 'auth_type', value: 'userpass' }, { attribute: 'username', value: user }, { attribute: 'password', value: password },
] });

test.serial('PUT creates or replaces an auth and answers its fields; GET reads it; DELETE forgets it', async (t) => {
  const put = await ari('PUT', '/asterisk/config/dynamic/res_pjsip/auth/webagent7', fields('first'));
  t.is(put.status, 200);
  t.deepEqual(await put.json(), fields('first').fields);
  t.true((await (await fetch(`${sim.ariUrl}/ari/endpoints/PJSIP/webagent7`, { headers: { authorization: `Basic ${Buffer.from('beckon:beckon').toString('base64')}` } })).status) === 200,
    'the account exists (offline until a browser registers)');
  t.is((await ari('PUT', '/asterisk/config/dynamic/res_pjsip/auth/webagent7', fields('second'))).status, 200);
  t.deepEqual(await (await ari('GET', '/asterisk/config/dynamic/res_pjsip/auth/webagent7')).json(), fields('second').fields);
  t.is((await ari('DELETE', '/asterisk/config/dynamic/res_pjsip/auth/webagent7')).status, 204);
  t.is((await ari('GET', '/asterisk/config/dynamic/res_pjsip/auth/webagent7')).status, 404);
  t.is((await ari('DELETE', '/asterisk/config/dynamic/res_pjsip/auth/webagent7')).status, 404);
});

test.serial('aor and endpoint objects are kept; other classes, types and bodies are refused', async (t) => {
  const aor = { fields: [{ attribute: 'max_contacts', value: '1' }] };
  t.is((await ari('PUT', '/asterisk/config/dynamic/res_pjsip/aor/webagent-x', aor)).status, 200);
  t.deepEqual(await (await ari('GET', '/asterisk/config/dynamic/res_pjsip/aor/webagent-x')).json(), aor.fields);
  t.is((await ari('PUT', '/asterisk/config/dynamic/res_pjsip/transport/t1', aor)).status, 404);
  t.is((await ari('PUT', '/asterisk/config/dynamic/res_odbc/auth/x', aor)).status, 404);
  t.is((await ari('PUT', '/asterisk/config/dynamic/res_pjsip/auth/webagent7', { fields: 'password=x' })).status, 400);
  t.is((await fetch(`${sim.ariUrl}/ari/asterisk/config/dynamic/res_pjsip/auth/webagent7`, { method: 'PUT' })).status, 401);
});

test.serial('a restart empties the memory store', async (t) => {
  t.is((await ari('PUT', '/asterisk/config/dynamic/res_pjsip/auth/webagent7', fields('kept?'))).status, 200);
  await sim.restart(50, 0);
  let status = 0;
  for (let i = 0; i < 100 && (status === 0 || status === 503); i++) {
    status = await ari('GET', '/asterisk/config/dynamic/res_pjsip/auth/webagent7').then((r) => r.status).catch(() => 0);
    if (status === 0 || status === 503) await new Promise((r) => setTimeout(r, 50));
  }
  t.is(status, 404);
});
