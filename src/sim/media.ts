/**
 * How long a playback media lasts in the simulator (unscaled ms), and whether it can be stopped.
 * Lengths follow the recorded traces: hello-world 1.42 s, digits 0.8 s per digit, number:4821 5.1 s.
 */
const SOUND_LENGTHS: Record<string, number> = {
  'hello-world': 1420,
  beep: 440,
  'demo-congrats': 9000,
};

const DEFAULT_SOUND_MS = 1500;
const PER_DIGIT_MS = 800;
const PER_NUMBER_DIGIT_MS = 1275;

export interface MediaInfo {
  /** null = plays until stopped (tones) */
  lengthMs: number | null;
  /** say-type media (digits:, number:) cannot be stopped through DELETE /playbacks */
  controllable: boolean;
}

export function mediaInfo(uri: string): MediaInfo {
  const colon = uri.indexOf(':');
  const scheme = colon < 0 ? 'sound' : uri.slice(0, colon);
  const value = colon < 0 ? uri : uri.slice(colon + 1);
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

/** Media schemes ARI accepts; anything else is refused with 400 like an unknown scheme would be. */
export function isKnownMedia(uri: string): boolean {
  return /^(sound|digits|number|characters|tone|recording):./.test(uri);
}
