import type { Config } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { TelephonyPort } from '../telephony/telephony-port.ts';

/** The settings whose media lists callers hear, each a comma-separated list of ARI media URIs. */
const PROMPT_SETTINGS = ['PROMPT_CONFIRM', 'PROMPT_ANNOUNCE', 'AGENT_WHISPER_PROMPT', 'AGENT_PROGRESS_MEDIA', 'WEBCALL_RINGBACK_MEDIA'] as const;

export type PromptSettings = Pick<Config, (typeof PROMPT_SETTINGS)[number]>;

/**
 * The `sound:` files the configured prompts name, with the setting each comes from. A sound whose name is made per
 * call (`{slug}`) cannot be checked ahead and is left out, as are other media (digits, tones: no file). Pure.
 */
export function promptSounds(config: PromptSettings): { setting: string; sound: string }[] {
  const out: { setting: string; sound: string }[] = [];
  for (const setting of PROMPT_SETTINGS) {
    for (const media of config[setting].split(',').map((m) => m.trim())) {
      if (!media.startsWith('sound:') || media.includes('{')) continue;
      const sound = media.slice('sound:'.length);
      if (sound && !out.some((o) => o.sound === sound && o.setting === setting)) out.push({ setting, sound });
    }
  }
  return out;
}

/**
 * Asks Asterisk, once the worker is connected, for every sound the prompts name, and warns about each it lacks.
 * A missing sound within a list shows in no ARI event (Asterisk skips it and plays the rest; only a missing last
 * one ends the playback failed), so without this a caller would hear a gap and nobody would know. Returns the
 * missing ones.
 */
export async function checkPromptSounds(port: Pick<TelephonyPort, 'soundExists'>, config: PromptSettings, log: Logger): Promise<string[]> {
  const missing: string[] = [];
  for (const { setting, sound } of promptSounds(config)) {
    const found = await port.soundExists(sound);
    if (found === false) {
      missing.push(sound);
      log.warn({ setting, sound }, 'prompt sound missing on Asterisk: callers hear nothing in its place');
    }
  }
  return missing;
}
