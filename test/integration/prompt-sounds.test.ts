import test from 'ava';
import { pino } from 'pino';
import { AriAdapter } from '../../src/telephony/ari-adapter.ts';
import { checkPromptSounds, promptSounds } from '../../src/calls/prompt-sounds.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { startSim, type Sim } from '../../src/sim/index.ts';

/**
 * The worker asks Asterisk for every sound its prompts name (GET /ari/sounds/{id}) and warns about each it lacks:
 * Asterisk skips a missing sound within a list without a word in any event, so a caller would hear a gap and
 * nobody would know.
 */
let sim: Sim;
test.before(async () => { sim = await startSim({ timeScale: 0.05 }); });
test.after.always(async () => { await sim?.close(); });

test('the sounds the prompts name, without per-call names, digits or tones', (t) => {
  const config = loadConfig({ PROMPT_CONFIRM: 'sound:hello-world,sound:beckon/confirm,digits:1', AGENT_WHISPER_PROMPT: 'sound:beep,sound:beckon/whisper-{slug}', WEBCALL_RINGBACK_MEDIA: 'tone:ring' });
  t.deepEqual(promptSounds(config), [
    { setting: 'PROMPT_CONFIRM', sound: 'hello-world' },
    { setting: 'PROMPT_CONFIRM', sound: 'beckon/confirm' },
    { setting: 'PROMPT_ANNOUNCE', sound: 'pls-hold-while-try' },
    { setting: 'AGENT_WHISPER_PROMPT', sound: 'beep' },
  ]);
});

test('a sound Asterisk lacks is warned with its setting; the sounds it has are not', async (t) => {
  const warnings: { setting: string; sound: string; msg: string }[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => { warnings.push(JSON.parse(s)); } });
  const port = new AriAdapter({ url: sim.ariUrl, user: 'beckon', password: 'beckon', app: `sounds-${Date.now()}`, log });
  t.teardown(() => { void port.close(); });
  t.is(await port.soundExists('hello-world'), true);
  t.is(await port.soundExists('digits/1'), true, 'a sound in a folder');
  t.is(await port.soundExists('beckon/confirm'), false);
  const config = loadConfig({ PROMPT_CONFIRM: 'sound:hello-world,sound:beckon/confirm,digits:1' });
  t.deepEqual(await checkPromptSounds(port, config, log), ['beckon/confirm']);
  t.deepEqual(warnings.map((w) => [w.setting, w.sound]), [['PROMPT_CONFIRM', 'beckon/confirm']]);
});
