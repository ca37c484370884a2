/**
 * The simulator's audio: a 400 Hz tone at 8 kHz in G.711 µ-law, 160 samples (20 ms) per packet. 400 Hz has exactly
 * 20 samples per period, so every packet holds the same 8 periods and one precomputed frame serves them all. Pure.
 */

const SAMPLE_RATE = 8000;
const FREQUENCY = 400;
const AMPLITUDE = 8000;
const SAMPLES = 160;

/** G.711 µ-law of a 16-bit linear sample. */
export function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

let frame: Buffer | null = null;

/** One 20 ms PCMU payload of the tone. */
export function toneFrame(): Buffer {
  if (!frame) {
    frame = Buffer.alloc(SAMPLES);
    for (let i = 0; i < SAMPLES; i++) frame[i] = linearToUlaw(AMPLITUDE * Math.sin((2 * Math.PI * FREQUENCY * i) / SAMPLE_RATE));
  }
  return frame;
}
