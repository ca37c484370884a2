import test from 'ava';
import { asteriskNodes } from '../../src/admin/system-status.service.ts';
import type { WorkerBeat } from '../../src/observability/worker-heartbeat.ts';

const beat = (workerId: string, connected: boolean, stale = false): WorkerBeat & { stale: boolean } => ({
  workerId, pid: 1, at: new Date().toISOString(), stale, activeCalls: 0, peers: {},
  ari: { url: 'http://x', connected, reconnects: 0 }, ami: { host: 'x', port: 5038, connected, reconnects: 0 },
});

test('each node lists its workers; only live ones with ARI up take its jobs; workers silent for a day are left out', (t) => {
  const nodes = asteriskNodes([
    { node: 'a', workerId: 'a1', ageMs: 1000 },
    { node: 'a', workerId: 'a2', ageMs: 60_000 },
    { node: 'b', workerId: 'b1', ageMs: 2000 },
    { node: 'b', workerId: 'b-old', ageMs: 2 * 86_400_000 },
  ], [beat('a1', true), beat('a2', true, true), beat('b1', false)]);
  t.deepEqual(nodes.map((n) => [n.node, n.taking, n.workers.map((w) => `${w.workerId}:${w.ari}:${w.live}`)]), [
    ['a', 1, ['a1:up:true', 'a2:unknown:false']],
    ['b', 0, ['b1:down:true']],
  ]);
});
