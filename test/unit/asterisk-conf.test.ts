import { existsSync, readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { loadConfig } from '../../src/platform/config.ts';

const confDir = new URL('../../asterisk/conf/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, confDir), 'utf8');

/** An Asterisk .conf as sections of [key, value] pairs (comments and blank lines dropped, order kept). */
function parseConf(text: string): Map<string, [string, string][]> {
  const sections = new Map<string, [string, string][]>();
  let current: [string, string][] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '').trim();
    if (!line) continue;
    const head = /^\[([^\]]+)\]/.exec(line);
    if (head) { current = []; sections.set(head[1]!, current); continue; }
    const kv = /^([^=]+?)\s*=>?\s*(.*)$/.exec(line);
    if (kv && current) current.push([kv[1]!, kv[2]!]);
  }
  return sections;
}

/** Files the Asterisk core itself reads at start that this configuration relies on. */
const CORE_FILES = {
  'asterisk.conf': 'options',
  'logger.conf': 'logging',
  'manager.conf': 'AMI (device states, Cdr events)',
  'http.conf': 'the HTTP server ARI runs on',
  'cdr.conf': 'the CDR engine (unanswered legs)',
  'indications.conf': 'tone: playbacks (the ringback agents hear)',
};

/**
 * What each module modules.conf loads reads: [] = no configuration file of its own. A module added to
 * modules.conf must be added here, which forces the question of whether its file is shipped.
 */
const MODULE_FILES: Record<string, string[]> = {
  'res_http_websocket.so': ['http.conf'],
  'res_ari.so': ['ari.conf'],
  'res_stasis.so': [],
  'app_stasis.so': [],
  'pbx_config.so': ['extensions.conf'],
  'res_pjsip.so': ['pjsip.conf'],
  'chan_pjsip.so': ['pjsip.conf'],
  'res_rtp_asterisk.so': ['rtp.conf'],
  'res_musiconhold.so': ['musiconhold.conf'],
  'cdr_manager.so': ['cdr_manager.conf'],
  'res_timing_timerfd.so': [],
  'res_ari_applications.so': [], 'res_ari_asterisk.so': [], 'res_ari_bridges.so': [], 'res_ari_channels.so': [],
  'res_ari_device_states.so': [], 'res_ari_endpoints.so': [], 'res_ari_events.so': [], 'res_ari_playbacks.so': [],
  'res_ari_recordings.so': [], 'res_ari_sounds.so': [],
  'res_stasis_answer.so': [], 'res_stasis_playback.so': [], 'res_stasis_recording.so': [], 'res_stasis_snoop.so': [],
  'res_stasis_device_state.so': [],
  'res_pjsip_session.so': ['pjsip.conf'],
  'res_pjsip_authenticator_digest.so': ['pjsip.conf'],
  'res_pjsip_outbound_authenticator_digest.so': ['pjsip.conf'],
  'res_pjsip_endpoint_identifier_ip.so': ['pjsip.conf'],
  'res_pjsip_endpoint_identifier_user.so': ['pjsip.conf'],
  'res_pjsip_registrar.so': ['pjsip.conf'],
  'res_pjsip_outbound_registration.so': ['pjsip.conf'],
  'res_pjsip_sdp_rtp.so': ['pjsip.conf'],
  'res_pjsip_caller_id.so': [],
  'res_pjsip_rfc3326.so': [],
  'codec_ulaw.so': [], 'codec_alaw.so': [],
  'bridge_simple.so': [], 'bridge_softmix.so': [], 'bridge_native_rtp.so': [],
};

const modules = parseConf(read('modules.conf')).get('modules') ?? [];
const loaded = modules.filter(([k]) => /^(require|load|preload|require_preload)$/.test(k)).map(([, v]) => v);

test('modules.conf loads the modules the worker needs', (t) => {
  for (const m of ['res_ari.so', 'res_pjsip.so', 'cdr_manager.so', 'res_musiconhold.so', 'pbx_config.so']) t.true(loaded.includes(m), m);
});

test('every module modules.conf loads is known, and every file it reads is shipped', (t) => {
  const unknown = loaded.filter((m) => !(m in MODULE_FILES));
  t.deepEqual(unknown, [], `add these to MODULE_FILES with the configuration files they read: ${unknown.join(', ')}`);
  const needed = new Set([...Object.keys(CORE_FILES), ...loaded.flatMap((m) => MODULE_FILES[m] ?? [])]);
  const missing = [...needed].filter((f) => !existsSync(new URL(f, confDir)));
  t.deepEqual(missing, []);
});

test('every shipped file is read by the core or by a module modules.conf loads', (t) => {
  const used = new Set([...Object.keys(CORE_FILES), 'modules.conf', ...loaded.flatMap((m) => MODULE_FILES[m] ?? [])]);
  const shipped = readdirSync(confDir).filter((f) => f.endsWith('.conf'));
  t.deepEqual(shipped.filter((f) => !used.has(f)), []);
});

const TONE_ELEMENT = /^!?\d+([+*]\d+)?(\/\d+)?$/;

test('indications.conf: the default zone is the installation country, and every zone has the tones Beckon plays', (t) => {
  const conf = parseConf(read('indications.conf'));
  const zones = [...conf.keys()].filter((k) => k !== 'general');
  t.true(zones.length >= 10);
  const country = new Map(conf.get('general')).get('country');
  t.is(country, loadConfig({}).INSTALL_COUNTRY.toLowerCase(), 'default zone = default INSTALL_COUNTRY');
  t.true(zones.includes(country!));

  const config = loadConfig({});
  const tonesPlayed = Object.values(config).flatMap((v) => typeof v === 'string' ? [...v.matchAll(/tone:([a-z]+)/g)].map((m) => m[1]!) : []);
  t.true(tonesPlayed.includes('ring'), 'AGENT_PROGRESS_MEDIA plays tone:ring by default');
  for (const zone of zones) {
    const tones = new Map(conf.get(zone));
    for (const name of ['description', 'ringcadence', 'dial', 'busy', 'congestion', ...tonesPlayed]) t.true(tones.has(name), `${zone}: ${name}`);
    for (const [name, value] of tones) {
      if (name === 'description') continue;
      if (name === 'ringcadence') { t.regex(value, /^\d+(,\d+)*$/, `${zone}.${name}`); continue; }
      for (const element of value.split(',')) t.regex(element.trim(), TONE_ELEMENT, `${zone}.${name}: ${element}`);
    }
  }
});
