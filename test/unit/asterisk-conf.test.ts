import { existsSync, readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { loadConfig } from '../../src/platform/config.ts';
import {
  parseContext, parseSections, pjsipObject, pjsipObjects, resolvedEntries, runExtension, valueOf,
  type ConfSection, type IncomingCall,
} from '../helpers/asterisk-conf.ts';

const confDir = new URL('../../asterisk/conf/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, confDir), 'utf8');

/** An Asterisk .conf as sections of [key, value] pairs (comments and blank lines dropped, order kept). */
function parseConf(text: string): Map<string, [string, string][]> {
  return new Map(parseSections(text).map((s) => [s.name, s.entries]));
}

/** Files the Asterisk core itself reads at start that this configuration relies on. */
const CORE_FILES = {
  'asterisk.conf': 'options',
  'logger.conf': 'logging',
  'manager.conf': 'AMI (device states, Cdr events)',
  'http.conf': 'the HTTP server ARI runs on',
  'cdr.conf': 'the CDR engine (unanswered legs)',
  'indications.conf': 'tone: playbacks (the ringback agents hear)',
  'sorcery.conf': 'where res_pjsip objects live: pjsip.conf, and memory for the browser agents\' pushed passwords',
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
  'res_sorcery_memory.so': [],
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
  'res_pjsip_transport_websocket.so': ['pjsip.conf'],
  'res_pjsip_endpoint_identifier_anonymous.so': ['pjsip.conf'],
  'res_srtp.so': [], 'res_pjsip_header_funcs.so': [], 'res_pjsip_dtmf_info.so': [], 'res_format_attr_opus.so': [],
  'func_channel.so': [], 'func_strings.so': [], 'app_verbose.so': [],
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

// --- web calls ----------------------------------------------------------------------------------------------------

const pjsip = parseSections(read('pjsip.conf'));
const dialplan = parseSections(read('extensions.conf'));
const globals = new Map(dialplan.find((s) => s.name === 'globals')!.entries);
const fromWeb = parseContext(dialplan.find((s) => s.name === 'from-web')!);
const portOf = (address: string) => Number(/:(\d+)$/.exec(address)?.[1]);
const httpGeneral = new Map(parseConf(read('http.conf')).get('general'));
/** The TLS port of the HTTP server, from tlsbindaddr whether or not TLS is switched on (the line may be commented). */
const httpTlsPort = portOf(/^;?\s*tlsbindaddr\s*=\s*(\S+)/m.exec(read('http.conf'))![1]!);
const udpPort = portOf(valueOf(pjsipObject(pjsip, 'transport-udp', 'transport')!, 'bind')!);

test('pjsip.conf: browsers reach Asterisk over WebSocket transports (ws behind a TLS proxy, wss with TLS in Asterisk)', (t) => {
  const protocols = [...pjsipObjects(pjsip, 'transport').values()].map((e) => valueOf(e, 'protocol'));
  t.true(protocols.includes('ws'));
  t.true(protocols.includes('wss'));
  for (const [name, entries] of pjsipObjects(pjsip, 'transport')) t.truthy(valueOf(entries, 'bind'), `${name} has a bind (required)`);
  t.is(httpGeneral.get('enabled'), 'yes', 'the HTTP server that serves /ws is on');
});

test('pjsip.conf: the anonymous endpoint is a WebRTC endpoint in from-web that nothing can call, register to or transfer from', (t) => {
  const anonymous = pjsipObject(pjsip, 'anonymous', 'endpoint');
  t.truthy(anonymous, 'an endpoint named exactly "anonymous" (what the anonymous identifier looks up)');
  t.is(valueOf(anonymous!, 'context'), 'from-web');
  t.is(valueOf(anonymous!, 'webrtc'), 'yes');
  t.is(valueOf(anonymous!, 'aors'), undefined);
  t.is(valueOf(anonymous!, 'auth'), undefined);
  t.is(valueOf(anonymous!, 'allow_transfer'), 'no');
  t.is(valueOf(anonymous!, 'allow_subscribe'), 'no');
  t.is(valueOf(anonymous!, 'direct_media'), 'no');
  const codecs = valueOf(anonymous!, 'allow')!.split(',');
  t.deepEqual(codecs.slice(0, 1), ['ulaw'], 'ulaw first: the callee leg speaks G.711, no transcoding');
  t.true(codecs.includes('opus'));
});

test('pjsip.conf: "anonymous" is the last identifier tried, and no endpoint without a password can be chosen by From user', (t) => {
  const order = valueOf(pjsipObject(pjsip, 'global', 'global')!, 'endpoint_identifier_order')!.split(',');
  t.is(order.at(-1), 'anonymous');
  for (const [name, entries] of pjsipObjects(pjsip, 'endpoint')) {
    if (name === 'anonymous') continue;
    const identifyBy = (valueOf(entries, 'identify_by') ?? 'username,ip').split(',');
    if (identifyBy.includes('username') || identifyBy.includes('auth_username')) t.truthy(valueOf(entries, 'auth'), `${name}: identified by user name, so it needs auth`);
  }
  t.is(valueOf(pjsipObject(pjsip, 'carrier', 'endpoint')!, 'identify_by'), 'ip');
});

test('pjsip.conf: browser agents register as webagentN (WebRTC, one contact, qualified) and call nothing but from-agents', (t) => {
  const template = pjsip.find((s) => s.name === 'webagent-template')!;
  t.true(template.template);
  t.true(template.parents.includes('webrtc-common'));
  const endpoint = pjsipObject(pjsip, 'webagent1', 'endpoint')!;
  t.is(valueOf(endpoint, 'webrtc'), 'yes');
  t.is(valueOf(endpoint, 'context'), 'from-agents');
  t.is(valueOf(endpoint, 'aors'), 'webagent1');
  t.is(valueOf(endpoint, 'auth'), 'webagent1');
  const aor = pjsipObject(pjsip, 'webagent1', 'aor')!;
  t.is(valueOf(aor, 'max_contacts'), '1');
  t.true(Number(valueOf(aor, 'qualify_frequency')) > 0, 'a frozen tab turns Unreachable');
  // The auth is pushed over ARI per console session: none in pjsip.conf, and sorcery keeps pushed auths in memory.
  t.is(pjsipObject(pjsip, 'webagent1', 'auth'), undefined);
  const sorcery = parseConf(read('sorcery.conf')).get('res_pjsip') ?? [];
  for (const type of ['auth', 'aor', 'endpoint']) {
    const wizards = sorcery.filter(([k]) => k === type).map(([, v]) => v.split(',')[0]);
    t.deepEqual(wizards, ['config', 'memory'], `${type}: pjsip.conf first, then what Beckon pushes`);
  }
});

const call = (localAddr: string, headers: Record<string, string> = { 'X-Beckon-Ticket': 'abc123' }): IncomingCall =>
  ({ localAddr, remoteAddr: '198.51.100.9:53211', headers });

test('extensions.conf: from-web hands a call that came over the WebSocket to the inbound app with its ticket', (t) => {
  const inboundApp = `${loadConfig({}).ARI_APP}-inbound`;
  for (const local of ['203.0.113.10:8088', '203.0.113.10:8089', '127.0.0.1:8088', '[2001:db8::10]:8089']) {
    t.like(runExtension(fromWeb.priorities, 'callback', call(local), globals), { end: 'stasis', app: inboundApp, args: ['webcall', 'abc123'] }, local);
  }
  t.like(runExtension(fromWeb.priorities, 'callback', call('203.0.113.10:8088', {}), globals), { end: 'stasis', args: ['webcall', ''] }, 'no header: an empty ticket');
  const forged = runExtension(fromWeb.priorities, 'callback', call('203.0.113.10:8088', { 'X-Beckon-Ticket': 'ab,c)d;e f-_9' }), globals);
  t.like(forged, { end: 'stasis', args: ['webcall', 'abcdef-_9'] }, 'only base64url characters reach the worker, as one argument');
});

test('extensions.conf: from-web hangs up whatever did not come over the WebSocket, before Stasis, and logs it', (t) => {
  for (const local of ['', '203.0.113.10:5060', '0.0.0.0:5060', '203.0.113.10:18088']) {
    const outcome = runExtension(fromWeb.priorities, 'callback', call(local), globals);
    t.is(outcome.end, 'hangup', `received on "${local}"`);
    t.is(outcome.logged.length, 1);
  }
});

test('extensions.conf: the ports from-web accepts are the HTTP server\'s (plain and TLS), never the UDP transport\'s', (t) => {
  const ports = globals.get('WEBCALL_WS_PORTS')!.split('|').map(Number);
  t.true(ports.includes(Number(httpGeneral.get('bindport'))), 'http.conf bindport');
  t.true(ports.includes(httpTlsPort), 'http.conf tlsbindaddr port');
  t.false(ports.includes(udpPort), 'transport-udp');
});

test('extensions.conf: nothing in from-web dials or leaves it; only "callback" exists; no context dials at all', (t) => {
  t.deepEqual(fromWeb.includes, []);
  t.deepEqual([...new Set(fromWeb.priorities.map((p) => p.exten))], ['callback'], 'no patterns: any other extension is a 404');
  for (const p of fromWeb.priorities) t.true(['GotoIf', 'Log', 'Hangup', 'Stasis'].includes(p.app), `${p.exten},${p.priority}: ${p.app}`);
  for (const p of fromWeb.priorities.filter((q) => q.app === 'GotoIf')) t.regex(p.data, /\?\w+$/, 'GotoIf to a label of the same extension');
  t.is(globals.get('ARI_APP'), loadConfig({}).ARI_APP);
  const contexts = dialplan.filter((s) => !['general', 'globals'].includes(s.name));
  for (const context of contexts) {
    for (const p of parseContext(context).priorities) t.false(/^(Dial|Originate|ChannelRedirect)$/.test(p.app), `[${context.name}] ${p.exten},${p.priority}: ${p.app}`);
  }
});

test('modules.conf loads what web calls need and switches none of it off', (t) => {
  const noload = modules.filter(([k]) => k === 'noload').map(([, v]) => v);
  for (const m of ['res_http_websocket.so', 'res_pjsip_transport_websocket.so', 'res_pjsip_endpoint_identifier_anonymous.so', 'res_srtp.so',
    'res_pjsip_header_funcs.so', 'func_channel.so', 'func_strings.so', 'app_verbose.so', 'res_rtp_asterisk.so', 'chan_pjsip.so']) {
    t.true(loaded.includes(m), m);
    t.false(noload.includes(m), m);
  }
});

test('rtp.conf: ICE is on (browsers require it)', (t) => {
  t.is(new Map(parseConf(read('rtp.conf')).get('general')).get('icesupport'), 'yes');
});

/** Every upper/lower-case spelling of a path: Asterisk routes HTTP paths case-insensitively. */
const spellings = (path: string): string[] => [...path].reduce<string[]>((acc, c) => acc.flatMap((p) => [...new Set([p + c.toLowerCase(), p + c.toUpperCase()])]), ['']);

test('http.conf: ARI answers only the workers\' networks, in every spelling of /ari, while /ws stays open', (t) => {
  const http = parseSections(read('http.conf'));
  const restrictions = new Map(http.filter((s) => !s.template).map((s: ConfSection) => [s.name, resolvedEntries(http, s)]));
  for (const path of spellings('/ari')) {
    const entries = restrictions.get(path);
    t.truthy(entries, path);
    t.is(valueOf(entries!, 'type'), 'restriction', path);
    t.deepEqual(entries!.find(([k]) => k === 'deny' || k === 'permit'), ['deny', '0.0.0.0/0.0.0.0'], `${path}: denies everyone, then permits`);
    t.true(entries!.some(([k]) => k === 'permit'), path);
  }
  t.false([...restrictions.keys()].some((p) => p.toLowerCase().startsWith('/ws')), 'browsers reach /ws');
});
