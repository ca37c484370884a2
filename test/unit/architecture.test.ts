import test from 'ava';
import { cruise, type ICruiseResult } from 'dependency-cruiser';

/*
 * The import rules of ARCHITECTURE.md, checked on the module graph of src/:
 * - no file imports itself through other files (no file-level cycle);
 * - no cycle between the top-level folders of src/ (src/calls/flow, session and upkeep are part of calls);
 * - src/main (the wiring) is imported by nothing outside src/main;
 * - the shared layers (src/platform, telephony, web, phone) import no feature folder, and src/platform imports
 *   nothing outside itself;
 * - the widget's browser bundle (src/widget/client) imports nothing outside itself: esbuild bundles it alone.
 * Type-only imports count: a cycle through types is still two folders that cannot be read apart.
 */

type Edge = { from: string; to: string; typeOnly: boolean };

const graph = (async () => {
  const result = (await cruise(['src'], { tsPreCompilationDeps: true, doNotFollow: { path: 'node_modules' } })).output as ICruiseResult;
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  for (const m of result.modules) {
    if (!m.source.startsWith('src/')) continue;
    for (const d of m.dependencies) {
      if (d.couldNotResolve && d.module.startsWith('.')) unresolved.push(`${m.source} -> ${d.module}`);
      if (!d.resolved.startsWith('src/')) continue;
      edges.push({ from: m.source, to: d.resolved, typeOnly: d.dependencyTypes.includes('type-only') });
    }
  }
  return { files: result.modules.map((m) => m.source).filter((s) => s.startsWith('src/')), edges, unresolved };
})();

/** The widget's browser bundle: a program of its own, run in visitors' browsers, that the server may read from. */
const BROWSER_BUNDLE = 'widget/client';

/** The top-level folder of src/ a file belongs to (a file directly in src/ is its own unit; so is the browser bundle). */
const folderOf = (file: string): string => {
  const parts = file.split('/');
  if (file.startsWith(`src/${BROWSER_BUNDLE}/`)) return BROWSER_BUNDLE;
  return parts.length > 2 ? parts[1]! : parts.slice(1).join('/');
};

const adjacency = (edges: Array<[string, string]>): Map<string, Set<string>> => {
  const out = new Map<string, Set<string>>();
  for (const [a, b] of edges) {
    if (!out.has(a)) out.set(a, new Set());
    out.get(a)!.add(b);
  }
  return out;
};

/** Strongly connected components with more than one node (Tarjan): each is a set of nodes that import one another. */
const tangles = (out: Map<string, Set<string>>): string[][] => {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of out.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || out.get(v)?.has(v)) found.push(component.sort());
    }
  };
  for (const v of [...out.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
};

/** The shortest path from `from` to `to` inside `within` (breadth first), both ends included. */
const shortestPath = (out: Map<string, Set<string>>, from: string, to: string, within: Set<string>): string[] | null => {
  const previous = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(out.get(v) ?? [])].sort()) {
      if (!within.has(w) || previous.has(w)) continue;
      previous.set(w, v);
      if (w === to) {
        const path = [to];
        while (path[0] !== from) path.unshift(previous.get(path[0]!)!);
        return path;
      }
      queue.push(w);
    }
  }
  return null;
};

/** One shortest cycle through each edge of each tangle, each cycle once (rotated to start at its least node). */
const cyclesOf = (out: Map<string, Set<string>>): string[][] => {
  const seen = new Set<string>();
  const cycles: string[][] = [];
  for (const component of tangles(out)) {
    const within = new Set(component);
    for (const a of component) {
      for (const b of out.get(a) ?? []) {
        if (!within.has(b)) continue;
        const back = a === b ? [a] : shortestPath(out, b, a, within);
        if (!back) continue;
        const cycle = a === b ? [a] : [a, ...back.slice(0, -1)];
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        const key = rotated.join(' -> ');
        if (seen.has(key)) continue;
        seen.add(key);
        cycles.push(rotated);
      }
    }
  }
  return cycles.sort((x, y) => x.length - y.length || x.join().localeCompare(y.join()));
};

test('every relative import in src/ resolves to a file (the graph below is complete)', async (t) => {
  const { unresolved, files } = await graph;
  t.true(files.length > 100, `only ${files.length} files found in src/`);
  t.deepEqual(unresolved, []);
});

test('no file-level import cycle in src/', async (t) => {
  const { edges } = await graph;
  const cycles = cyclesOf(adjacency(edges.map((e) => [e.from, e.to])));
  const report = cycles.map((c) => `  ${[...c, c[0]].join('\n    -> ')}`).join('\n');
  t.is(cycles.length, 0, `file-level import cycles:\n${report}`);
});

test('no import cycle between the top-level folders of src/', async (t) => {
  const { edges } = await graph;
  const crossing = edges.filter((e) => folderOf(e.from) !== folderOf(e.to));
  const cycles = cyclesOf(adjacency(crossing.map((e) => [folderOf(e.from), folderOf(e.to)])));
  const hops = [...new Set(cycles.flatMap((c) => c.map((a, i) => `${a} -> ${c[(i + 1) % c.length]}`)))].sort();
  const because = hops.map((hop) => {
    const [a, b] = hop.split(' -> ');
    const imports = crossing.filter((e) => folderOf(e.from) === a && folderOf(e.to) === b);
    return `  ${hop}\n${imports.map((e) => `      ${e.from} -> ${e.to}${e.typeOnly ? ' (type)' : ''}`).join('\n')}`;
  });
  const shown = 40;
  const report = [
    ...cycles.slice(0, shown).map((c) => `  ${[...c, c[0]].join(' -> ')}`),
    ...(cycles.length > shown ? [`  (+${cycles.length - shown} more cycles)`] : []),
    'made by these imports:',
    ...because,
  ].join('\n');
  t.is(cycles.length, 0, `folder-level import cycles:\n${report}`);
});

test('nothing outside src/main imports src/main (the wiring)', async (t) => {
  const { edges } = await graph;
  const offending = edges.filter((e) => folderOf(e.to) === 'main' && folderOf(e.from) !== 'main');
  t.deepEqual(offending.map((e) => `${e.from} -> ${e.to}`), []);
});

/** The shared layers under every feature: each imports only from these (platform from itself alone, below). */
const SHARED = new Set(['platform', 'telephony', 'web', 'phone', 'types']);

test('the shared layers (platform, telephony, web, phone) import no feature folder', async (t) => {
  const { edges } = await graph;
  const offending = edges.filter((e) => SHARED.has(folderOf(e.from)) && !SHARED.has(folderOf(e.to)));
  t.deepEqual(offending.map((e) => `${e.from} -> ${e.to}`), []);
});

test('src/platform imports nothing outside src/platform', async (t) => {
  const { edges } = await graph;
  const offending = edges.filter((e) => folderOf(e.from) === 'platform' && folderOf(e.to) !== 'platform');
  t.deepEqual(offending.map((e) => `${e.from} -> ${e.to}`), []);
});

test('the widget\'s browser bundle imports nothing outside src/widget/client', async (t) => {
  const { edges } = await graph;
  const offending = edges.filter((e) => folderOf(e.from) === BROWSER_BUNDLE && folderOf(e.to) !== BROWSER_BUNDLE);
  t.deepEqual(offending.map((e) => `${e.from} -> ${e.to}`), []);
});
