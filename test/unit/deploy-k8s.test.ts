import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseAllDocuments } from 'yaml';
import { dirname, join } from 'node:path';
import {
  CLI_COMMANDS, CONFIG_KEYS, CONTAINER_ONLY_KEYS, ROOT, WEB_PROBE_ROUTES, WORKER_METRICS_PATH, filesUnder, parseEnvFile, readText, readYamlDocuments,
} from '../helpers/deploy-files.ts';
import { loadConfig } from '../../src/platform/config.ts';

/*
 * The Kubernetes manifests (deploy/k8s: kustomize base and example overlay), checked without a cluster: every
 * file parses, every Beckon container runs a command of the CLI, every variable is a setting or a documented
 * container variable, probes ask routes and ports that exist, the workers' grace period is longer than
 * SHUTDOWN_GRACE_SEC, and the resources name each other correctly.
 */

const K8S = 'deploy/k8s';
const yamlFiles = filesUnder(K8S).filter((f) => f.endsWith('.yaml'));
const docs = yamlFiles.flatMap((file) => readYamlDocuments(file).map((doc) => ({ file, doc })));
const manifests = docs.filter(({ doc }) => doc.kind !== 'Kustomization');
const kustomizations = docs.filter(({ doc }) => doc.kind === 'Kustomization');

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);
const workloads = manifests.filter(({ doc }) => WORKLOADS.has(doc.kind));
const byKind = (kind: string, name: string) => manifests.find(({ doc }) => doc.kind === kind && doc.metadata?.name === name)?.doc;

interface Container {
  name: string; image: string; args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: Probe; readinessProbe?: Probe; livenessProbe?: Probe;
}
interface Probe { httpGet?: { path: string; port: string | number }; tcpSocket?: { port: string | number }; exec?: { command: string[] } }

function containersOf(doc: any): Container[] {
  const spec = doc.spec.template.spec;
  return [...(spec.initContainers ?? []), ...spec.containers];
}
const beckonContainers = workloads.flatMap(({ file, doc }) => containersOf(doc).filter((c) => c.image === 'beckon').map((c) => ({ file, doc, c })));

/** Settings every process gets from the ConfigMap generators (base and overlay) and the overlay's secrets file. */
const generated = (() => {
  const config = new Map<string, string>();
  for (const { doc } of kustomizations) {
    for (const g of doc.configMapGenerator ?? []) {
      for (const literal of g.literals ?? []) {
        const [key, ...rest] = String(literal).split('=');
        config.set(key!, rest.join('='));
      }
    }
  }
  return config;
})();
const secretFiles = kustomizations.flatMap(({ file, doc }) => (doc.secretGenerator ?? []).flatMap((g: { envs?: string[] }) =>
  (g.envs ?? []).map((env) => join(dirname(file), `${env}.example`))));
const secretKeys = new Set(secretFiles.flatMap((f) => parseEnvFile(readText(f)).settings.map((l) => l.key)));

test('every manifest parses and names its kind', (t) => {
  t.true(yamlFiles.length >= 8);
  for (const { file, doc } of docs) {
    t.truthy(doc.kind, `${file}: a document without kind`);
    if (doc.kind !== 'Kustomization') t.truthy(doc.metadata?.name, `${file}: ${doc.kind} without a name`);
  }
});

test('kustomizations list files that exist, and the overlay builds on the base', (t) => {
  for (const { file, doc } of kustomizations) {
    for (const r of doc.resources ?? []) t.true(existsSync(join(ROOT, dirname(file), r)), `${file}: ${r}`);
    for (const f of secretFiles) t.true(existsSync(join(ROOT, f)), `${f}: the example of a secrets file`);
  }
  const overlay = kustomizations.find(({ file }) => file.includes('/overlays/'));
  t.truthy(overlay);
  t.true(overlay!.doc.resources.includes('../../base'));
});

test('every Beckon container runs a command of the CLI', (t) => {
  t.true(beckonContainers.length >= 4);
  for (const { file, c } of beckonContainers) {
    t.true(Array.isArray(c.args) && c.args.length >= 1, `${file}: ${c.name} has args`);
    t.true(CLI_COMMANDS.has(c.args![0]!), `${file}: beckon ${c.args![0]} is a command of src/main/cli.ts`);
  }
});

test('every variable is a setting or a documented container variable', (t) => {
  const named = new Set<string>([...generated.keys(), ...secretKeys]);
  for (const { doc } of workloads) for (const c of containersOf(doc)) for (const e of c.env ?? []) named.add(e.name);
  for (const { doc } of workloads) {
    for (const c of containersOf(doc)) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) t.true(secretKeys.has(ref.key), `${c.name}: ${ref.key} is in the secrets file`);
      }
    }
  }
  const unknown = [...named].filter((k) => !CONFIG_KEYS.has(k) && !CONTAINER_ONLY_KEYS.has(k));
  t.deepEqual(unknown, [], 'a setting of src/platform/config.ts, or listed after the container-only marker in .env.example');
  t.notThrows(() => loadConfig(Object.fromEntries(generated)), 'the generated settings are valid');
});

test('Beckon containers read the settings and secrets the kustomizations generate', (t) => {
  const names = new Set(kustomizations.flatMap(({ doc }) => [
    ...(doc.configMapGenerator ?? []).map((g: { name: string }) => g.name), ...(doc.secretGenerator ?? []).map((g: { name: string }) => g.name),
  ]));
  for (const { c } of beckonContainers) {
    const refs = (c.envFrom ?? []).map((e) => e.configMapRef?.name ?? e.secretRef?.name);
    t.true(refs.length >= 2, `${c.name} reads settings and secrets`);
    for (const r of refs) t.true(names.has(r!), `${c.name}: ${r} is generated`);
  }
});

test('probes ask routes that exist on ports the containers declare', (t) => {
  let probes = 0;
  for (const { file, c } of beckonContainers) {
    for (const p of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
      if (!p) continue;
      probes++;
      const port = p.httpGet?.port ?? p.tcpSocket?.port;
      const declared = (c.ports ?? []).find((cp) => cp.name === port || cp.containerPort === port);
      t.truthy(declared, `${file}: ${c.name} probes a port it declares (${port})`);
      if (!p.httpGet) continue;
      if (c.args![0] === 'worker') {
        t.is(p.httpGet.path, WORKER_METRICS_PATH, `${c.name}: a worker serves only ${WORKER_METRICS_PATH}`);
        t.is(String(declared!.containerPort), generated.get('WORKER_METRICS_PORT') ?? '(unset)', 'WORKER_METRICS_PORT is the port probed');
      } else {
        t.true(WEB_PROBE_ROUTES.has(p.httpGet.path), `${c.name}: ${p.httpGet.path} is a route of src/web/health.routes.ts`);
        t.is(String(declared!.containerPort), generated.get('PORT') ?? '3000', 'PORT is the port probed');
      }
    }
  }
  t.true(probes >= 4);
  const web = containersOf(byKind('Deployment', 'beckon-web'))[0]!;
  const paths = [web.startupProbe, web.readinessProbe, web.livenessProbe].map((p) => p?.httpGet?.path);
  t.true(paths.includes('/healthz') && paths.includes('/readyz'), 'the web is probed on /healthz and /readyz');
});

test('workers: a StatefulSet whose pod names are their WORKER_IDs, with a grace period longer than SHUTDOWN_GRACE_SEC', (t) => {
  const sts = byKind('StatefulSet', 'beckon-worker');
  t.truthy(sts);
  const worker = sts.spec.template.spec.containers.find((c: Container) => c.args?.[0] === 'worker') as Container;
  const id = worker.env?.find((e) => e.name === 'WORKER_ID');
  t.is(id?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
  // Pod names are <name>-<ordinal>: the longest one must be a valid WORKER_ID.
  const longest = `${sts.metadata.name}-${Math.max(sts.spec.replicas, 999)}`;
  t.is(loadConfig({ WORKER_ID: longest }).WORKER_ID, longest);
  const grace = Number(generated.get('SHUTDOWN_GRACE_SEC') ?? loadConfig({}).SHUTDOWN_GRACE_SEC);
  t.true(sts.spec.template.spec.terminationGracePeriodSeconds > grace, `terminationGracePeriodSeconds > SHUTDOWN_GRACE_SEC (${grace})`);
  t.truthy(byKind('Service', sts.spec.serviceName), 'the governing Service exists');
  t.true(sts.spec.template.spec.initContainers.some((c: Container) => c.args?.[0] === 'migrate'), 'migrations applied before the worker starts');
});

test('web: a Deployment scaled by an HPA on CPU; the migrate Job runs `beckon migrate`', (t) => {
  const hpa = byKind('HorizontalPodAutoscaler', 'beckon-web');
  t.is(hpa.spec.scaleTargetRef.kind, 'Deployment');
  t.truthy(byKind('Deployment', hpa.spec.scaleTargetRef.name));
  t.true(hpa.spec.metrics.some((m: { resource?: { name: string } }) => m.resource?.name === 'cpu'));
  const web = containersOf(byKind('Deployment', 'beckon-web'))[0]!;
  t.truthy((web as { resources?: { requests?: { cpu?: string } } }).resources?.requests?.cpu, 'an HPA on CPU needs a CPU request');
  const job = byKind('Job', 'beckon-migrate');
  t.deepEqual(containersOf(job)[0]!.args, ['migrate']);
});

test('Asterisk: on the host network, one pod per labelled node, passwords from the Secret', (t) => {
  const ds = byKind('DaemonSet', 'beckon-asterisk');
  t.true(ds.spec.template.spec.hostNetwork);
  t.is(ds.spec.template.spec.dnsPolicy, 'ClusterFirstWithHostNet');
  t.truthy(ds.spec.template.spec.nodeSelector);
  const env = containersOf(ds)[0]!.env ?? [];
  for (const key of ['ARI_PASSWORD', 'AMI_SECRET']) t.truthy(env.find((e) => e.name === key)?.valueFrom?.secretKeyRef, key);
  const ariUrl = new URL(generated.get('ARI_URL')!);
  t.truthy(byKind('Service', ariUrl.hostname), 'ARI_URL names the Asterisk Service');
  t.is(generated.get('AMI_HOST'), ariUrl.hostname);
});

test('Services, PodDisruptionBudgets and the Ingress point at things that exist', (t) => {
  const labelsOf = (doc: any): Record<string, string> => doc.spec.template.metadata.labels;
  const matches = (selector: Record<string, string>) =>
    workloads.some(({ doc }) => Object.entries(selector).every(([k, v]) => labelsOf(doc)[k] === v));
  for (const { file, doc } of manifests) {
    if (doc.kind === 'Service') t.true(matches(doc.spec.selector), `${file}: Service ${doc.metadata.name} selects pods`);
    if (doc.kind === 'PodDisruptionBudget') t.true(matches(doc.spec.selector.matchLabels), `${file}: PDB ${doc.metadata.name} selects pods`);
    if (WORKLOADS.has(doc.kind) && doc.spec.selector) {
      t.deepEqual(Object.entries(doc.spec.selector.matchLabels).filter(([k, v]) => labelsOf(doc)[k] !== v), [], `${file}: selector matches its template`);
    }
  }
  t.truthy(byKind('PodDisruptionBudget', 'beckon-web'));
  t.truthy(byKind('PodDisruptionBudget', 'beckon-worker'));
  for (const { file, doc } of manifests.filter(({ doc }) => doc.kind === 'Ingress')) {
    for (const rule of doc.spec.rules) {
      for (const p of rule.http.paths) {
        const svc = byKind('Service', p.backend.service.name);
        t.truthy(svc, `${file}: ${p.path} goes to a Service that exists`);
        const port = p.backend.service.port;
        t.true(svc.spec.ports.some((sp: { name?: string; port: number }) => sp.name === port.name || sp.port === port.number), `${file}: ${p.path}'s port`);
      }
    }
    const paths = doc.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => p.path));
    t.true(paths.includes('/ws') && !paths.some((p: string) => p.startsWith('/ari')), 'browsers reach /ws, never ARI');
  }
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
test('kubectl kustomize builds the example overlay: images, names and namespace resolved', (t) => {
  if (kubectl.error || kubectl.status !== 0) {
    t.log('kubectl is not installed: the manifests were checked as YAML only');
    t.pass();
    return;
  }
  // The overlay's secrets file is kept out of version control: a copy with its example in place.
  const dir = mkdtempSync(join(tmpdir(), 'beckon-k8s-'));
  try {
    cpSync(join(ROOT, K8S), dir, { recursive: true });
    for (const f of secretFiles) cpSync(join(ROOT, f), join(dir, f.slice(K8S.length + 1).replace(/\.example$/, '')));
    const built = spawnSync('kubectl', ['kustomize', join(dir, 'overlays/example')], { encoding: 'utf8' });
    t.is(built.status, 0, built.stderr);
    const rendered = parseAllDocuments(built.stdout).map((d) => d.toJS());
    const generatedNames = new Set(rendered.filter((d) => d.kind === 'ConfigMap' || d.kind === 'Secret').map((d) => d.metadata.name));
    for (const doc of rendered.filter((d) => WORKLOADS.has(d.kind))) {
      t.is(doc.metadata.namespace, 'beckon');
      for (const c of containersOf(doc)) {
        t.regex(c.image, /\//, `${doc.metadata.name}: ${c.image} comes from the overlay's registry`);
        for (const e of c.envFrom ?? []) t.true(generatedNames.has(e.configMapRef?.name ?? e.secretRef?.name ?? ''), `${doc.metadata.name}: envFrom resolved`);
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) t.true(generatedNames.has(ref.name), `${doc.metadata.name}: ${e.name} from the generated Secret`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
