import test from 'ava';
import { runner } from 'node-pg-migrate';
import { createTestDatabase } from '../helpers/database.ts';
import { sourcePath } from '../../src/platform/package-files.ts';
import { seedDemo } from '../../src/demo/seed.ts';
import type { ScratchDatabase } from '../../src/platform/db/scratch-database.ts';

/**
 * Migration 9991 on a database holding what the old forms let in: agents sharing a phone, a subscriber's agent on
 * the pool's softphone or on a desk phone it typed, an agent on another agent's webagent- name or on `anonymous`.
 * The migration is run down and up again by node-pg-migrate on real PostgreSQL, with those rows in between: it
 * completes, leaves every agent on a phone of its own, and from then on the database refuses a second agent on one.
 */
const MIGRATION = '9991_agent_endpoint_unique';
let db: ScratchDatabase;
test.before(async () => { db = await createTestDatabase('agentendpointmig'); });
test.after.always(async () => { await db?.drop(); });

const run = (direction: 'up' | 'down') => runner({
  databaseUrl: db.url, dir: sourcePath('platform/db/migrations'), direction, file: MIGRATION, migrationsTable: 'pgmigrations',
  checkOrder: false, log: () => {}, logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
});
const own = (id: string) => `PJSIP/webagent-${id.replace(/-/g, '').slice(0, 12)}`;

test.serial('shared phones and tenant-typed endpoints become phones of their own; the indexes then refuse a second agent on one', async (t) => {
  await seedDemo(db.pool);
  const { rows: [demo] } = await db.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`);
  t.deepEqual((await run('down')).map((m) => m.name), [MIGRATION]);

  const add = async (login: string, endpoint: string, o: { desk?: string; owner?: string; made: string; state?: string }): Promise<string> => {
    const { rows: [r] } = await db.pool.query(
      `INSERT INTO agents (name, login, endpoint, desk_endpoint, owner_subscriber_id, created_at, device_state)
       VALUES ($1, $1, $2, $3, $4, $5, $6) RETURNING id`, [login, endpoint, o.desk ?? null, o.owner ?? null, o.made, o.state ?? 'NOT_INUSE']);
    return r.id;
  };
  await db.pool.query(`UPDATE agents SET created_at = '2020-01-01', device_state = 'NOT_INUSE' WHERE login = 'agent1'`);
  const { rows: [agent1] } = await db.pool.query(`SELECT id FROM agents WHERE login = 'agent1'`);
  const ids = {
    // The demo's agent1 (PJSIP/agent1, made first) keeps its phone; a later agent on it, in another case, does not.
    second: await add('second', 'pjsip/AGENT1', { made: '2021-01-01' }),
    // A subscriber's agents: on the pool's declared softphone, on a desk phone it typed, in the browser on webagent2.
    hijacker: await add('hijacker', 'PJSIP/webagent1', { owner: demo.id, made: '2022-01-01' }),
    typed: await add('typed', 'PJSIP/desk9', { owner: demo.id, made: '2022-01-02' }),
    browsing: await add('browsing', 'PJSIP/webagent2', { desk: 'PJSIP/webagent2', owner: demo.id, made: '2022-01-03' }),
    // The operator's agents: on agent1's webagent- name, on anonymous, on a declared webagent3 (kept).
    squatter: await add('squatter', own(agent1.id), { made: '2022-02-01' }),
    anon: await add('anon', 'PJSIP/anonymous', { made: '2022-02-02' }),
    pool: await add('pool', 'PJSIP/webagent3', { made: '2022-02-03' }),
  };
  // One in the browser on its own softphone while its desk phone agent5 is configured; a later agent on agent5.
  const inBrowser = await db.pool.query(`SELECT gen_random_uuid() AS id`).then((r) => r.rows[0].id as string);
  await db.pool.query(
    `INSERT INTO agents (id, name, login, endpoint, desk_endpoint, created_at, device_state) VALUES ($1, 'inbrowser', 'inbrowser', $2, 'PJSIP/agent5', '2022-03-01', 'NOT_INUSE')`,
    [inBrowser, own(inBrowser)]);
  const later = await add('later', 'PJSIP/agent5', { made: '2022-03-02' });
  // A subscriber's agent already on its own softphone is left as it is.
  const settledId = await db.pool.query(`SELECT gen_random_uuid() AS id`).then((r) => r.rows[0].id as string);
  await db.pool.query(
    `INSERT INTO agents (id, name, login, endpoint, owner_subscriber_id, created_at, device_state) VALUES ($1, 'settled', 'settled', $2, $3, '2022-04-01', 'NOT_INUSE')`,
    [settledId, own(settledId), demo.id]);

  t.deepEqual((await run('up')).map((m) => m.name), [MIGRATION]);

  const rows = new Map((await db.pool.query(`SELECT id, login, endpoint, desk_endpoint, device_state FROM agents`)).rows.map((r) => [r.login, r]));
  const moved = { device_state: 'UNAVAILABLE', desk_endpoint: null };
  t.like(rows.get('agent1'), { endpoint: 'PJSIP/agent1', device_state: 'NOT_INUSE' }, 'the first agent on a phone keeps it');
  t.like(rows.get('second'), { endpoint: own(ids.second), ...moved });
  t.like(rows.get('hijacker'), { endpoint: own(ids.hijacker), ...moved });
  t.like(rows.get('typed'), { endpoint: own(ids.typed), ...moved });
  t.like(rows.get('browsing'), { endpoint: own(ids.browsing), desk_endpoint: own(ids.browsing), device_state: 'UNAVAILABLE' }, 'still in the browser, on its own');
  t.like(rows.get('squatter'), { endpoint: own(ids.squatter), ...moved });
  t.like(rows.get('anon'), { endpoint: own(ids.anon), ...moved });
  t.like(rows.get('pool'), { endpoint: 'PJSIP/webagent3', device_state: 'NOT_INUSE' }, "the operator's declared webagent3 is kept");
  t.like(rows.get('inbrowser'), { endpoint: own(inBrowser), desk_endpoint: 'PJSIP/agent5', device_state: 'NOT_INUSE' }, 'its desk phone stays its');
  t.like(rows.get('later'), { endpoint: own(later), ...moved });
  t.like(rows.get('settled'), { endpoint: own(settledId), desk_endpoint: null, device_state: 'NOT_INUSE' });

  // From now on the database refuses a second agent on a phone, rung now or configured, whatever the case.
  let probes = 0;
  const refused = async (endpoint: string, desk: string | null = null) => {
    const login = `probe${++probes}`;
    const err = await db.pool.query(`INSERT INTO agents (name, login, endpoint, desk_endpoint) VALUES ($1, $1, $2, $3)`, [login, endpoint, desk]).then(() => null, (e) => e);
    return err ? `${err.code} ${err.constraint}` : 'inserted';
  };
  t.is(await refused('PJSIP/Agent1'), '23505 agents_endpoint_key');
  t.is(await refused('PJSIP/agent5'), '23505 agents_phone_key', 'the desk phone of an agent in the browser');
  t.is(await refused(own(ids.browsing), 'PJSIP/free-desk'), '23505 agents_endpoint_key');
  t.is(await refused('PJSIP/free-desk'), 'inserted');
});
