import { z } from 'zod';
import { LANGUAGES } from '../widget/client/i18n.ts';

/**
 * Per-subscriber settings kept in subscribers.settings (jsonb). Defaults live here, not in the database, so a
 * new option needs no migration and old rows read as the defaults. Other modules own other keys
 * (retry, hours, answeredBy, ...); the portal writes only the keys it edits and merges, never replaces.
 */

/** Exactly the languages the widget has words for (one list, kept with the translations). */
export { LANGUAGES } from '../widget/client/i18n.ts';

const colour = z.string().trim().regex(/^#[0-9a-fA-F]{6}$/, 'Use a colour like #0b5fff.').transform((s) => s.toLowerCase());

/** A logo is shown inside the widget on strangers' pages: only plain http(s) URLs, never javascript: or data:. */
const logoUrl = z.string().trim().max(500).refine((s) => {
  if (s === '') return true;
  try { const u = new URL(s); return u.protocol === 'https:' || u.protocol === 'http:'; } catch { return false; }
}, 'Use an http(s) address for the logo, or leave it empty.').transform((s) => (s === '' ? null : s));

export const skinSchema = z.object({
  primaryColor: colour,
  textColor: colour,
  buttonText: z.string().trim().min(1, 'The button needs a text.').max(40, 'Keep the button text under 40 characters.'),
  position: z.enum(['bottom-right', 'bottom-left']),
  logoUrl: logoUrl.nullable(),
  language: z.enum(LANGUAGES),
});
export type Skin = z.infer<typeof skinSchema>;

export const DEFAULT_SKIN: Skin = {
  primaryColor: '#0b5fff', textColor: '#ffffff', buttonText: 'Call me back', position: 'bottom-right', logoUrl: null, language: 'en',
};

/** The stored skin merged over the defaults; a malformed stored field falls back to its default. */
export function skinFromSettings(settings: Record<string, unknown>): Skin {
  const raw = (settings.skin && typeof settings.skin === 'object' ? settings.skin : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...DEFAULT_SKIN };
  for (const key of Object.keys(DEFAULT_SKIN) as (keyof Skin)[]) {
    if (raw[key] === undefined) continue;
    const field = skinSchema.shape[key].safeParse(raw[key]);
    if (field.success) out[key] = field.data;
  }
  return out as Skin;
}

export const messagesSchema = z.object({
  greeting: z.string().trim().max(500, 'Keep the greeting under 500 characters.'),
  announcement: z.string().trim().max(500, 'Keep the announcement under 500 characters.'),
});
export type Messages = z.infer<typeof messagesSchema>;

/** Text the visitor hears/reads: the greeting when the call is answered, the announcement shown with the form. */
export function messagesFromSettings(settings: Record<string, unknown>): Messages {
  return {
    greeting: typeof settings.greeting === 'string' ? settings.greeting : '',
    announcement: typeof settings.announcement === 'string' ? settings.announcement : '',
  };
}

export function answeredByFromSettings(settings: Record<string, unknown>): 'phone' | 'agents' {
  return settings.answeredBy === 'agents' ? 'agents' : 'phone';
}
