import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema } from '../../src/platform/config.ts';

/** What the deploy tests read: the repository's deploy files, the CLI's commands, the settings and the routes. */

export const ROOT = new URL('../../', import.meta.url).pathname;

export function readText(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** Every setting src/platform/config.ts reads. */
export const CONFIG_KEYS: ReadonlySet<string> = new Set(Object.keys(configSchema.shape));

/** The line in .env.example after which only variables of the containers (never read by Beckon) are listed. */
export const CONTAINER_ONLY_MARKER = '# --- Not read by Beckon';

export interface EnvLine { key: string; value: string; commented: boolean; line: number }

/**
 * `NAME=value` and `#NAME=value` lines of an env file (a commented one shows a default); `# text` is prose.
 * Split at the container-only marker when there is one.
 */
export function parseEnvFile(text: string): { settings: EnvLine[]; containerOnly: EnvLine[] } {
  const settings: EnvLine[] = [];
  const containerOnly: EnvLine[] = [];
  let target = settings;
  text.split('\n').forEach((raw, i) => {
    if (raw.startsWith(CONTAINER_ONLY_MARKER)) { target = containerOnly; return; }
    const m = /^(#?)([A-Z][A-Z0-9_]*)=(.*)$/.exec(raw);
    if (m) target.push({ key: m[2]!, value: m[3]!, commented: m[1] === '#', line: i + 1 });
  });
  return { settings, containerOnly };
}

/** Variables the containers read that Beckon does not (postgres image, Caddy, Asterisk's time zone), as .env.example documents them. */
export const CONTAINER_ONLY_KEYS: ReadonlySet<string> = new Set(parseEnvFile(readText('.env.example')).containerOnly.map((l) => l.key));

/** `beckon <command>` names, read from the CLI's source (importing it would run it). */
export const CLI_COMMANDS: ReadonlySet<string> = new Set(
  [...readText('src/main/cli.ts').matchAll(/program\.command\('([a-z-]+)'\)/g)].map((m) => m[1]!),
);

/** Paths the web process serves for probes, read from its health routes. */
export const WEB_PROBE_ROUTES: ReadonlySet<string> = new Set(
  [...readText('src/web/health.routes.ts').matchAll(/router\.get\('([^']+)'/g)].map((m) => m[1]!),
);

/** The one path a worker's own metrics server answers (src/observability/metrics-server.ts). */
export const WORKER_METRICS_PATH: string = /!== '(\/[a-z]+)'/.exec(readText('src/observability/metrics-server.ts'))?.[1] ?? '(none found)';

/** A YAML file as plain data; `<<` merge keys (compose's shared blocks) are resolved. */
export function readYaml(path: string): any {
  return parse(readText(path), { merge: true });
}

/** Every document of a (multi-document) YAML file. */
export function readYamlDocuments(path: string): any[] {
  return parseAllDocuments(readText(path), { merge: true }).map((d) => {
    if (d.errors.length) throw new Error(`${path}: ${d.errors[0]!.message}`);
    return d.toJS();
  }).filter((d) => d !== null);
}

/** Files under a folder of the repository, recursively, as repository paths. */
export function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    return statSync(join(ROOT, path)).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Seconds of a compose duration such as `75s`, `1m30s`. */
export function composeSeconds(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms|us)/g)) {
    total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 } as Record<string, number>)[unit!]!;
  }
  return total;
}
