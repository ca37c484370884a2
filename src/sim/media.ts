/**
 * How long a playback media lasts in the simulator (unscaled ms), whether it can be stopped, and whether a
 * stock Asterisk 22 with the core English sounds could play it at all.
 * Lengths follow the recorded traces: hello-world 1.42 s, digits 0.8 s per digit, number:4821 5.1 s.
 */
const SOUND_LENGTHS: Record<string, number> = {
  'hello-world': 1420,
  beep: 440,
  'demo-congrats': 9000,
};

/**
 * The `sound:` files the simulator plays: a few from Asterisk's core sounds (asterisk-core-sounds-en), those the
 * traces and Beckon's defaults use. Any other file fails as on an Asterisk that lacks it: PlaybackStarted, then
 * PlaybackFinished `failed` about 55 ms later. Kept small on purpose: a prompt that plays here must exist there.
 */
export const KNOWN_SOUNDS: ReadonlySet<string> = new Set([
  'hello-world',
  'demo-congrats',
  'beep',
  'vm-press',
  'vm-goodbye',
  'pls-hold-while-try',
  'silence/1',
  'silence/2',
  'silence/3',
  'digits/0', 'digits/1', 'digits/2', 'digits/3', 'digits/4', 'digits/5', 'digits/6', 'digits/7', 'digits/8', 'digits/9',
]);

/** Asterisk gives up on a media it cannot open after about this long (unscaled ms). */
export const MISSING_MEDIA_FAILS_AFTER_MS = 55;

const DEFAULT_SOUND_MS = 1500;
const PER_DIGIT_MS = 800;
const PER_NUMBER_DIGIT_MS = 1275;

export interface MediaInfo {
  /** null = plays until stopped (tones) */
  lengthMs: number | null;
  /** say-type media (digits:, number:) cannot be stopped through DELETE /playbacks */
  controllable: boolean;
}

/** A media URI's scheme and value; a bare name is a sound. */
export function splitMedia(uri: string): { scheme: string; value: string } {
  const colon = uri.indexOf(':');
  return colon < 0 ? { scheme: 'sound', value: uri } : { scheme: uri.slice(0, colon), value: uri.slice(colon + 1) };
}

export function mediaInfo(uri: string): MediaInfo {
  const { scheme, value } = splitMedia(uri);
  switch (scheme) {
    case 'digits':
      return { lengthMs: Math.max(1, value.length) * PER_DIGIT_MS, controllable: false };
    case 'number':
      return { lengthMs: Math.max(1, value.replace(/\D/g, '').length) * PER_NUMBER_DIGIT_MS, controllable: false };
    case 'characters':
      return { lengthMs: Math.max(1, value.length) * PER_DIGIT_MS, controllable: false };
    case 'tone':
      return { lengthMs: null, controllable: true };
    default:
      return { lengthMs: SOUND_LENGTHS[value.split('/').pop() ?? value] ?? DEFAULT_SOUND_MS, controllable: true };
  }
}

/**
 * Whether Asterisk could play this media: `sound:` only the known core sounds; `tone:` only with indications
 * configured (without indications.conf Asterisk logs "Failed to parse tone part" and the playback fails);
 * `recording:` never (the simulator stores none). Say-type media always can.
 */
export function mediaPlayable(uri: string, env: { indications: boolean }): boolean {
  const { scheme, value } = splitMedia(uri);
  switch (scheme) {
    case 'sound':
      return KNOWN_SOUNDS.has(value);
    case 'tone':
      return env.indications;
    case 'recording':
      return false;
    default:
      return true;
  }
}

/** Media schemes ARI accepts; anything else is refused with 400 like an unknown scheme would be. */
export function isKnownMedia(uri: string): boolean {
  return /^(sound|digits|number|characters|tone|recording):./.test(uri);
}
