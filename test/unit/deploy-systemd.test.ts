import test from 'ava';
import { CLI_COMMANDS, CONFIG_KEYS, readText } from '../helpers/deploy-files.ts';
import { loadConfig } from '../../src/platform/config.ts';

/* The systemd unit example runs a command the CLI has, with settings Beckon reads, and outlives the workers' grace period. */

const unit = readText('deploy/systemd/beckon.service');
const directive = (name: string) => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1]!);

test('ExecStart runs a command of the CLI', (t) => {
  const [exec] = directive('ExecStart');
  const command = /bin\/beckon\.js (\S+)$/.exec(exec ?? '')?.[1];
  t.is(command, 'start');
  t.true(CLI_COMMANDS.has(command!));
});

test('Environment names settings and a valid WORKER_ID', (t) => {
  const pairs = directive('Environment').flatMap((line) => line.split(/\s+/)).map((p) => p.split('='));
  t.true(pairs.length > 0);
  for (const [key] of pairs) t.true(CONFIG_KEYS.has(key!), `${key} is a setting`);
  t.notThrows(() => loadConfig(Object.fromEntries(pairs)));
  t.deepEqual(directive('EnvironmentFile'), ['/etc/beckon/beckon.env']);
});

test('systemd waits longer than SHUTDOWN_GRACE_SEC before killing', (t) => {
  t.true(Number(directive('TimeoutStopSec')[0]) > loadConfig({}).SHUTDOWN_GRACE_SEC);
});
