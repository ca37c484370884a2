import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, readText, readYaml } from '../helpers/deploy-files.ts';

/*
 * asterisk/Dockerfile builds a pinned Asterisk 22 from the official tarball, checks its sha256, and builds the
 * modules asterisk/conf/modules.conf names; its entrypoint writes ARI_PASSWORD and AMI_SECRET into the copy of
 * the configuration it starts with. No image is built here: the file is read, the entrypoint run on a copy.
 */

const dockerfile = readText('asterisk/Dockerfile');

test('a pinned Asterisk 22 release, its tarball checked against a sha256', (t) => {
  t.regex(dockerfile, /^ARG ASTERISK_VERSION=22\.\d+\.\d+$/m);
  t.regex(dockerfile, /^ARG ASTERISK_SHA256=[0-9a-f]{64}$/m);
  t.regex(dockerfile, /sha256sum -c -/);
  t.regex(dockerfile, /downloads\.asterisk\.org\/pub\/telephony\/asterisk/);
});

test('the modules come from conf/modules.conf, required ones checked after the build', (t) => {
  t.regex(dockerfile, /COPY conf\/modules\.conf /);
  for (const kind of ['require', 'load', 'noload']) t.regex(dockerfile, new RegExp(`\\$\\(mods ${kind}\\)`));
  t.regex(dockerfile, /required module \$m was not built/);
  t.regex(dockerfile, /CORE-SOUNDS-EN-WAV/);
  t.regex(dockerfile, /MOH-OPSOUND-WAV/);
});

test('the image and compose.yaml put the configuration where the entrypoint reads it', (t) => {
  t.regex(dockerfile, /^COPY conf\/ \/etc\/beckon-asterisk\/$/m);
  t.true(readYaml('compose.yaml').services.asterisk.volumes.includes('./asterisk/conf:/etc/beckon-asterisk:ro'));
  t.regex(readText('asterisk/docker-entrypoint.sh'), /^src=\/etc\/beckon-asterisk$/m);
});

/** The entrypoint on copies of the folders, without the chown/chmod that need the image's user. */
function runEntrypoint(env: Record<string, string>): { status: number | null; stderr: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'beckon-asterisk-'));
  mkdirSync(join(dir, 'dst'));
  cpSync(join(ROOT, 'asterisk/conf'), join(dir, 'src'), { recursive: true });
  const script = readText('asterisk/docker-entrypoint.sh')
    .replace(/^src=.*$/m, `src=${join(dir, 'src')}`)
    .replace(/^dst=.*$/m, `dst=${join(dir, 'dst')}`)
    .replace(/^(chown|chmod) .*$/gm, '');
  writeFileSync(join(dir, 'entrypoint.sh'), script);
  const r = spawnSync('sh', [join(dir, 'entrypoint.sh'), 'true'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, dir };
}

test('the entrypoint writes the passwords from the environment, any character but ";" kept as given', (t) => {
  const ari = `a&b/c\\d"e$f`;
  const { status, dir } = runEntrypoint({ ARI_PASSWORD: ari, AMI_SECRET: 'ami-secret' });
  try {
    t.is(status, 0);
    const ariConf = readFileSync(join(dir, 'dst/ari.conf'), 'utf8');
    const managerConf = readFileSync(join(dir, 'dst/manager.conf'), 'utf8');
    t.true(ariConf.split('\n').includes(`password = ${ari}`));
    t.false(ariConf.split('\n').includes('password = beckon'));
    t.true(managerConf.split('\n').includes('secret = ami-secret'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the lines the entrypoint replaces are in the shipped configuration', (t) => {
  t.true(readText('asterisk/conf/ari.conf').split('\n').includes('password = beckon'));
  t.true(readText('asterisk/conf/manager.conf').split('\n').includes('secret = beckon'));
});

test('a password with ";" (a comment in Asterisk\'s files) is refused', (t) => {
  const { status, stderr, dir } = runEntrypoint({ ARI_PASSWORD: 'a;b', AMI_SECRET: 'x' });
  rmSync(dir, { recursive: true, force: true });
  t.is(status, 1);
  t.regex(stderr, /must not contain ';'/);
});
