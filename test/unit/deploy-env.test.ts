import test from 'ava';
import { isDeepStrictEqual } from 'node:util';
import { loadConfig } from '../../src/platform/config.ts';
import { CONFIG_KEYS, parseEnvFile, readText } from '../helpers/deploy-files.ts';

/*
 * .env.example lists every setting of src/platform/config.ts exactly once, with the default the code has, and
 * nothing the code does not read (except the containers' own variables, after their marker line).
 */

const env = parseEnvFile(readText('.env.example'));

/** Settings whose default is computed (from the host name, from ARI_URL); .env.example leaves them empty and says so. */
const COMPUTED_DEFAULTS = new Set(['WORKER_ID', 'WEBCALL_WS_URL']);

test('.env.example names every setting of config.ts', (t) => {
  const listed = new Set(env.settings.map((l) => l.key));
  const missing = [...CONFIG_KEYS].filter((k) => !listed.has(k));
  t.deepEqual(missing, [], 'add these to .env.example with their default and meaning');
});

test('.env.example names no setting config.ts does not read', (t) => {
  const stale = env.settings.filter((l) => !CONFIG_KEYS.has(l.key)).map((l) => `${l.key} (line ${l.line})`);
  t.deepEqual(stale, [], 'remove these, or list them after the container-only marker if a container reads them');
});

test('each setting appears once', (t) => {
  const seen = new Map<string, number>();
  for (const l of [...env.settings, ...env.containerOnly]) seen.set(l.key, (seen.get(l.key) ?? 0) + 1);
  t.deepEqual([...seen].filter(([, n]) => n > 1).map(([k]) => k), []);
});

test('every commented line shows the default the code has', (t) => {
  const defaults = loadConfig({}) as unknown as Record<string, unknown>;
  const wrong: string[] = [];
  for (const l of env.settings.filter((s) => s.commented)) {
    if (l.value === '') {
      // Empty: the setting is unset by default, or computed, or the empty string is its default.
      if (defaults[l.key] === undefined || COMPUTED_DEFAULTS.has(l.key)) continue;
      const parsed = (() => { try { return (loadConfig({ [l.key]: '' }) as unknown as Record<string, unknown>)[l.key]; } catch { return Symbol('invalid'); } })();
      if (!isDeepStrictEqual(parsed, defaults[l.key])) wrong.push(`${l.key}: empty, default is ${JSON.stringify(defaults[l.key])}`);
      continue;
    }
    let parsed: unknown;
    try { parsed = (loadConfig({ [l.key]: l.value }) as unknown as Record<string, unknown>)[l.key]; } catch (err) {
      wrong.push(`${l.key}: ${(err as Error).message}`);
      continue;
    }
    if (!isDeepStrictEqual(parsed, defaults[l.key])) wrong.push(`${l.key}: shows ${l.value}, default is ${JSON.stringify(defaults[l.key])}`);
  }
  t.deepEqual(wrong, []);
});

test('every setting has a line of meaning above it', (t) => {
  const lines = readText('.env.example').split('\n');
  const bare = [...env.settings, ...env.containerOnly].filter((l) => !/^# \S/.test(lines[l.line - 2] ?? '') && !/^#[A-Z]/.test(lines[l.line - 2] ?? ''));
  t.deepEqual(bare.map((l) => l.key), []);
});

test('the lines to set are the ones a real installation must choose, and only settings or container variables', (t) => {
  const toSet = env.settings.filter((l) => !l.commented).map((l) => l.key);
  t.true(toSet.includes('SESSION_SECRET'));
  for (const key of toSet) t.true(CONFIG_KEYS.has(key), key);
});

test('container-only variables are not settings (Beckon would read them)', (t) => {
  t.true(env.containerOnly.length > 0, 'the container-only marker is missing');
  t.deepEqual(env.containerOnly.filter((l) => CONFIG_KEYS.has(l.key)).map((l) => l.key), []);
});
