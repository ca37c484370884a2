/**
 * Which numbers may be rung. Pure; the same check runs when a request is accepted, right before every dial
 * (src/calls/flow/dial-check.ts) and before a phone-verification call.
 *
 * Two levels:
 *  - the operator's (config DIAL_ALLOWED_COUNTRIES, default INSTALL_COUNTRY, and DIAL_ALLOWED_TYPES): what the
 *    installation pays for at all;
 *  - the subscriber's, in subscribers.settings.policy, which can only narrow it:
 *      { allowedCountries?: string[]   // ISO 3166 alpha-2; default: the subscriber's own country
 *        dailyLimit?: number }         // requests accepted per 24 h; default LIMIT_PER_SUBSCRIBER_DAY
 *    A subscriber whose own country the operator does not serve gets nothing dialed (it could otherwise pick
 *    any country by editing its profile).
 */

/** The operator's policy, from config (DIAL_ALLOWED_COUNTRIES, DIAL_ALLOWED_TYPES). */
export interface OperatorDestinations { countries: readonly string[]; types: readonly string[] }

export function operatorDestinations(config: { DIAL_ALLOWED_COUNTRIES: readonly string[]; DIAL_ALLOWED_TYPES: readonly string[] }): OperatorDestinations {
  return { countries: config.DIAL_ALLOWED_COUNTRIES, types: config.DIAL_ALLOWED_TYPES };
}

export interface PolicySettings {
  /** Countries whose numbers may be rung; empty = none. */
  allowedCountries: string[];
  /** libphonenumber number types that may be rung. */
  allowedTypes: readonly string[];
  dailyLimit: number | null;
}

/** A subscriber's effective destination policy: its own choice intersected with the operator's. */
export function policySettings(settings: Record<string, unknown>, ownCountry: string, operator: OperatorDestinations): PolicySettings {
  const p = (settings?.policy ?? {}) as Record<string, unknown>;
  const own = ownCountry.trim().toUpperCase();
  const chosen = Array.isArray(p.allowedCountries)
    ? p.allowedCountries.filter((c): c is string => typeof c === 'string' && /^[A-Za-z]{2}$/.test(c)).map((c) => c.toUpperCase())
    : [];
  const wanted = chosen.length ? chosen : [own];
  const allowedCountries = operator.countries.includes(own) ? wanted.filter((c) => operator.countries.includes(c)) : [];
  const daily = typeof p.dailyLimit === 'number' && Number.isInteger(p.dailyLimit) && p.dailyLimit > 0 ? p.dailyLimit : null;
  return { allowedCountries, allowedTypes: operator.types, dailyLimit: daily };
}

/** The operator's policy alone: for the numbers on a subscriber's own side (its phone, departments, verification). */
export function operatorPolicy(operator: OperatorDestinations): PolicySettings {
  return { allowedCountries: [...operator.countries], allowedTypes: operator.types, dailyLimit: null };
}

export type DestinationRefusal = { code: 'number_type_refused' | 'country_not_allowed' | 'country_not_served'; message: string };

export function checkDestination(phone: { country: string | undefined; type: string | undefined }, policy: PolicySettings): DestinationRefusal | null {
  if (policy.allowedCountries.length === 0) {
    return { code: 'country_not_served', message: 'This call-back service cannot call any number: its country is not served by this installation.' };
  }
  // libphonenumber's "max" metadata types every valid number it knows; an untyped one is not vetted either.
  if (!phone.type || !policy.allowedTypes.includes(phone.type)) {
    return { code: 'number_type_refused', message: 'We cannot call this kind of number (premium-rate, shared-cost, personal, toll-free or other special numbers). Please give a mobile or landline number.' };
  }
  if (!phone.country || !policy.allowedCountries.includes(phone.country)) {
    return { code: 'country_not_allowed', message: 'We cannot call numbers in that country. Please give a number in a country this business serves.' };
  }
  return null;
}
