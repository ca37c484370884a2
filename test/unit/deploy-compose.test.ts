import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI_COMMANDS, CONFIG_KEYS, CONTAINER_ONLY_KEYS, ROOT, WEB_PROBE_ROUTES, WORKER_METRICS_PATH, composeSeconds, readText, readYaml,
} from '../helpers/deploy-files.ts';
import { loadConfig } from '../../src/platform/config.ts';

/*
 * compose.yaml (a real installation) and compose.demo.yaml (the demo beside the simulator), checked without
 * pulling an image: every Beckon service runs a command the CLI has, every variable named is a setting or a
 * documented container variable, health checks ask routes that exist, workers outlive their grace period.
 * When docker-compose (Debian's package) is installed, it validates both files as well.
 */

const FILES = ['compose.yaml', 'compose.demo.yaml'] as const;

interface Service {
  build?: string | { context: string };
  image?: string;
  command?: string[];
  environment?: Record<string, unknown>;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

function services(file: string): Record<string, Service> {
  return readYaml(file).services;
}

/** Services running the Beckon image (the repository's Dockerfile). */
function beckonServices(file: string): [string, Service][] {
  return Object.entries(services(file)).filter(([, s]) => s.image === 'beckon:local' || s.build === '.');
}

for (const file of FILES) {
  test(`${file}: every Beckon service runs a command of the CLI`, (t) => {
    const own = beckonServices(file);
    t.true(own.length >= 3);
    for (const [name, s] of own) {
      t.true(Array.isArray(s.command) && s.command.length >= 1, `${name} has a command`);
      t.true(CLI_COMMANDS.has(s.command![0]!), `${name}: beckon ${s.command![0]} is a command of src/main/cli.ts`);
    }
  });

  test(`${file}: every variable named is a setting or a documented container variable`, (t) => {
    const text = readText(file);
    const named = new Set<string>();
    for (const s of Object.values(services(file))) for (const key of Object.keys(s.environment ?? {})) named.add(key);
    for (const [, key] of text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)) named.add(key!);
    const unknown = [...named].filter((k) => !CONFIG_KEYS.has(k) && !CONTAINER_ONLY_KEYS.has(k));
    t.deepEqual(unknown, [], 'a setting of src/platform/config.ts, or listed after the container-only marker in .env.example');
  });

  test(`${file}: the settings given to Beckon's services are valid`, (t) => {
    for (const [name, s] of beckonServices(file)) {
      const env = Object.fromEntries(Object.entries(s.environment ?? {})
        .filter(([k]) => CONFIG_KEYS.has(k))
        .map(([k, v]) => [k, String(v).replace(/\$\{[^}]+\}/g, 'x')]));
      t.notThrows(() => loadConfig(env), name);
    }
  });

  test(`${file}: health checks ask routes that exist`, (t) => {
    for (const [name, s] of beckonServices(file)) {
      if (s.healthcheck?.disable) continue;
      const url = /http:\/\/127\.0\.0\.1:(\d+)(\/[a-z]*)/.exec((s.healthcheck?.test ?? []).join(' '));
      t.truthy(url, `${name}: its health check asks an HTTP route`);
      const port = Number(url![1]);
      const path = url![2]!;
      const env = s.environment ?? {};
      if (s.command![0] === 'worker') {
        t.is(path, WORKER_METRICS_PATH, `${name}: a worker serves only ${WORKER_METRICS_PATH}`);
        t.is(Number(env.WORKER_METRICS_PORT), port, `${name}: WORKER_METRICS_PORT is the port asked`);
      } else {
        t.true(WEB_PROBE_ROUTES.has(path), `${name}: ${path} is a route of src/web/health.routes.ts`);
        t.is(Number(env.PORT ?? 3000), port, `${name}: PORT is the port asked`);
      }
    }
  });

  test(`${file}: workers have distinct WORKER_IDs and outlive their grace period`, (t) => {
    const workers = beckonServices(file).filter(([, s]) => s.command![0] === 'worker');
    t.true(workers.length >= 1);
    const ids = workers.map(([, s]) => String(s.environment?.WORKER_ID ?? ''));
    t.true(ids.every((id) => /^[\w.-]{1,40}$/.test(id)), 'each worker names a valid WORKER_ID');
    t.is(new Set(ids).size, ids.length);
    for (const [name, s] of workers) {
      const grace = Number(s.environment?.SHUTDOWN_GRACE_SEC ?? loadConfig({}).SHUTDOWN_GRACE_SEC);
      const stop = composeSeconds(s.stop_grace_period ?? '10s');
      // The demo stops at once (simulated calls); a real worker lets calls finish.
      if (file === 'compose.yaml') t.true(stop > grace, `${name}: stop_grace_period ${stop}s > SHUTDOWN_GRACE_SEC ${grace}s`);
    }
  });

  test(`${file}: named volumes are declared and depends_on names services`, (t) => {
    const doc = readYaml(file);
    const declared = new Set(Object.keys(doc.volumes ?? {}));
    for (const [name, s] of Object.entries(services(file))) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) t.true(declared.has(source), `${name}: volume ${source} is declared`);
      }
      for (const dep of Object.keys(s.depends_on ?? {})) t.truthy(doc.services[dep], `${name} depends on ${dep}`);
    }
  });
}

test('compose.yaml: two workers, a one-shot migrate before web and workers, Asterisk built from asterisk/Dockerfile', (t) => {
  const s = services('compose.yaml');
  const workers = beckonServices('compose.yaml').filter(([, w]) => w.command![0] === 'worker');
  t.is(workers.length, 2);
  t.deepEqual(s.migrate!.command, ['migrate']);
  for (const [name, w] of [['web', s.web!], ...workers] as [string, Service][]) {
    t.is(w.depends_on?.migrate?.condition, 'service_completed_successfully', `${name} waits for migrate`);
  }
  t.is(s.asterisk!.build, './asterisk');
  t.is((s.asterisk as { network_mode?: string }).network_mode, 'host');
});

test('compose.yaml: the proxy passes /ws to Asterisk and the rest to the web, with TLS for BECKON_DOMAIN', (t) => {
  const caddy = readText('deploy/caddy/Caddyfile').split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
  t.regex(caddy, /^\{\$BECKON_DOMAIN\} \{/m);
  t.regex(caddy, /handle \/ws \{\s*reverse_proxy host\.docker\.internal:8088/);
  t.regex(caddy, /reverse_proxy web:3000/);
  t.is(caddy.match(/:8088/g)?.length, 1, 'only /ws reaches Asterisk: ARI stays with the workers');
  t.is(services('compose.yaml').web!.environment?.TRUST_PROXY, '1');
});

test('compose.demo.yaml: the simulator stands in for Asterisk', (t) => {
  const s = services('compose.demo.yaml');
  t.falsy(s.asterisk);
  t.deepEqual(s.sim!.command, ['sim']);
  t.is(s.sim!.environment?.SIM_HOST, '0.0.0.0');
  t.is(s.web!.environment?.ARI_URL, 'http://sim:8088');
  t.is(s.web!.environment?.DEMO_PAGE, 'true', 'the demo subscriber\'s page at /');
  t.falsy(services('compose.yaml').web!.environment?.DEMO_PAGE, 'a real installation shows no subscriber at /');
});

/** docker-compose resolves `env_file: .env` and the build contexts in a project folder: a copy with .env.example's values filled in. */
function projectCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'beckon-compose-'));
  for (const f of ['compose.yaml', 'compose.demo.yaml']) cpSync(join(ROOT, f), join(dir, f));
  for (const d of ['asterisk', 'deploy']) symlinkSync(join(ROOT, d), join(dir, d));
  mkdirSync(join(dir, 'src'));
  const env = readText('.env.example').split('\n').map((l) => (/^[A-Z][A-Z0-9_]*=$/.test(l) ? `${l}filled-in-for-the-test` : l)).join('\n');
  writeFileSync(join(dir, '.env'), env);
  return dir;
}

const compose = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
for (const file of FILES) {
  test(`docker-compose config accepts ${file}`, (t) => {
    if (compose.error || compose.status !== 0) {
      t.log('docker-compose is not installed (Debian package docker-compose): the file was checked as YAML only');
      t.pass();
      return;
    }
    const dir = projectCopy();
    try {
      t.notThrows(() => execFileSync('docker-compose', ['-f', file, 'config', '-q'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
