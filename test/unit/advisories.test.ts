import { readFileSync } from 'node:fs';
import test from 'ava';
import semver from 'semver';

interface Advisory { package: string; range: string; id: string; why: string }
interface LockEntry { name?: string; version?: string; link?: boolean }
interface Hit { path: string; name: string; version: string; id: string }

const root = new URL('../../', import.meta.url);
const advisories = (JSON.parse(readFileSync(new URL('security/advisories.json', root), 'utf8')) as { advisories: Advisory[] }).advisories;
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as { packages: Record<string, LockEntry> };

/**
 * Every installed package of a lockfile (v2/v3 `packages`) whose version an advisory covers. The real package
 * name is the entry's `name` when npm recorded one (an alias such as `request` → `@cypress/request`), else
 * the folder after the last `node_modules/`.
 */
function advisoryHits(packages: Record<string, LockEntry>, list: Advisory[]): Hit[] {
  const hits: Hit[] = [];
  for (const [path, entry] of Object.entries(packages)) {
    if (!path || entry.link || !entry.version) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    for (const a of list) {
      if (a.package === name && semver.satisfies(entry.version, a.range, { includePrerelease: true })) {
        hits.push({ path, name, version: entry.version, id: a.id });
      }
    }
  }
  return hits;
}

test('every advisory names a package, a valid semver range, an id and a reason', (t) => {
  t.true(advisories.length >= 6);
  for (const a of advisories) {
    t.truthy(a.package, JSON.stringify(a));
    t.truthy(semver.validRange(a.range), `${a.package}: invalid range ${a.range}`);
    t.regex(a.id, /^(CVE-\d{4}-\d+|GHSA(-[a-z0-9]{4}){3})$/, a.package);
    t.true(a.why.length > 10, a.package);
  }
});

test('the check finds a bad version at any depth and leaves fixed versions and aliases alone', (t) => {
  const sample: Record<string, LockEntry> = {
    '': { name: 'beckon', version: '0.1.0' },
    'node_modules/ari-client/node_modules/request': { version: '2.88.2' },
    'node_modules/request/node_modules/qs': { version: '6.5.5' },
    'node_modules/cookiejar': { version: '1.3.1' },
    'node_modules/ws': { version: '6.2.2' },
    'node_modules/form-data': { version: '4.0.3' },
    // An override alias installs @cypress/request in the `request` folder: not the advisory's package.
    'node_modules/request': { name: '@cypress/request', version: '4.0.1' },
    'node_modules/qs': { version: '6.14.1' },
    'node_modules/other/node_modules/ws': { version: '8.23.0' },
    'node_modules/tough-cookie': { version: '5.1.2' },
  };
  t.deepEqual(advisoryHits(sample, advisories).map((h) => `${h.name}@${h.version} ${h.id}`).sort(), [
    'cookiejar@1.3.1 CVE-2022-25901',
    'form-data@4.0.3 CVE-2025-7783',
    'qs@6.5.5 GHSA-6rw7-vpxm-498p',
    'request@2.88.2 CVE-2023-28155',
    'ws@6.2.2 CVE-2024-37890',
  ]);
});

test('package-lock.json holds no package version with a known advisory', (t) => {
  t.true(Object.keys(lock.packages).length > 100, 'the lockfile lists the installed tree');
  const hits = advisoryHits(lock.packages, advisories);
  t.deepEqual(hits, [], hits.map((h) => `${h.path} ${h.version}: ${h.id}`).join('\n'));
});
