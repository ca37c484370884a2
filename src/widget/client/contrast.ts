/** WCAG 2.x contrast arithmetic, so a subscriber's brand colours never make the widget unreadable. */

export type Rgb = [number, number, number];

export function parseHex(value: unknown): Rgb | null {
  if (typeof value !== 'string') return null;
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
  if (!m) return null;
  const h = m[1]!.length === 3 ? m[1]!.replace(/./g, (c) => c + c) : m[1]!;
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
}

function toHex(c: Rgb): string {
  return '#' + c.map((v) => Math.round(Math.max(0, Math.min(255, v))).toString(16).padStart(2, '0')).join('');
}

function luminance([r, g, b]: Rgb): number {
  const lin = (v: number) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a: Rgb, b: Rgb): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
export const MIN_RATIO = 4.5;

/** Darkens `c` in small steps until it reaches `MIN_RATIO` against `against` (white, for the panel's body). */
function darkenFor(c: Rgb, against: Rgb = WHITE): Rgb {
  let cur = c;
  for (let i = 0; i < 40 && contrastRatio(cur, against) < MIN_RATIO; i++) cur = cur.map((v) => v * 0.92) as Rgb;
  return cur;
}

export interface Palette { primary: string; onPrimary: string; accent: string; corrected: boolean }

/**
 * Button colours from the skin: the brand colour stays as the background; its text keeps the skin's colour when
 * that reads (≥ 4.5:1), otherwise becomes black or white, whichever contrasts more (one of them always reaches
 * 4.5:1). `accent` is the brand colour darkened enough to be text and focus rings on the white panel.
 */
export function palette(primaryColor: unknown, textColor: unknown): Palette {
  const primary = parseHex(primaryColor) ?? [11, 95, 255];
  const text = parseHex(textColor);
  let onPrimary = text ?? WHITE;
  let corrected = false;
  if (contrastRatio(primary, onPrimary) < MIN_RATIO) {
    onPrimary = contrastRatio(primary, WHITE) >= contrastRatio(primary, BLACK) ? WHITE : BLACK;
    corrected = true;
  }
  return { primary: toHex(primary), onPrimary: toHex(onPrimary), accent: toHex(darkenFor(primary)), corrected };
}
