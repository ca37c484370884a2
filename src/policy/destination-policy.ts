/**
 * Which destination numbers a subscriber's visitors may be called on. Pure.
 *
 * Per-subscriber settings live in subscribers.settings.policy:
 *   { allowedCountries?: string[]   // ISO 3166 alpha-2; default: the subscriber's own country
 *     dailyLimit?: number }         // requests accepted per 24 h; default LIMIT_PER_SUBSCRIBER_DAY
 */

/**
 * Number types a call-back may ring. Everything else is refused: premium-rate and shared-cost numbers cost
 * the caller (that is, Beckon's operator) money and are the classic toll-fraud target; personal numbers,
 * UAN, pagers and voicemail access numbers forward to places nobody vetted; toll-free numbers belong to
 * businesses, not visitors. VOIP is allowed because many people's only phone is one.
 */
const ALLOWED_TYPES = new Set(['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'VOIP']);

export interface PolicySettings { allowedCountries: string[]; dailyLimit: number | null }

export function policySettings(settings: Record<string, unknown>, ownCountry: string): PolicySettings {
  const p = (settings?.policy ?? {}) as Record<string, unknown>;
  const countries = Array.isArray(p.allowedCountries)
    ? p.allowedCountries.filter((c): c is string => typeof c === 'string' && /^[A-Za-z]{2}$/.test(c)).map((c) => c.toUpperCase())
    : [];
  const daily = typeof p.dailyLimit === 'number' && Number.isInteger(p.dailyLimit) && p.dailyLimit > 0 ? p.dailyLimit : null;
  return { allowedCountries: countries.length ? countries : [ownCountry.toUpperCase()], dailyLimit: daily };
}

export type DestinationRefusal = { code: 'number_type_refused' | 'country_not_allowed'; message: string };

export function checkDestination(phone: { country: string | undefined; type: string | undefined }, policy: PolicySettings): DestinationRefusal | null {
  // libphonenumber's "max" metadata types every valid number it knows; an untyped one is not vetted either.
  if (!phone.type || !ALLOWED_TYPES.has(phone.type)) {
    return { code: 'number_type_refused', message: 'We cannot call this kind of number (premium-rate, shared-cost, personal, toll-free or other special numbers). Please give a mobile or landline number.' };
  }
  if (!phone.country || !policy.allowedCountries.includes(phone.country)) {
    return { code: 'country_not_allowed', message: 'We cannot call numbers in that country. Please give a number in a country this business serves.' };
  }
  return null;
}
