import { parsePhoneNumberWithError, ParseError, type CountryCode, type NumberType } from 'libphonenumber-js/max';

export type PhoneParse =
  | { ok: true; e164: string; country: string | undefined; type: NumberType | undefined }
  | { ok: false; code: 'phone_required' | 'phone_too_short' | 'phone_too_long' | 'phone_invalid'; message: string };

/**
 * Parses what a visitor typed into E.164, with the subscriber's country as the default for national numbers.
 * Pure: the same function runs on the server and (bundled) in the widget, so both give the same verdict.
 */
export function parsePhone(input: unknown, defaultCountry: string): PhoneParse {
  if (typeof input !== 'string' || input.trim() === '') return { ok: false, code: 'phone_required', message: 'A phone number is required.' };
  const text = input.trim();
  if (text.length > 40) return { ok: false, code: 'phone_too_long', message: 'That phone number is too long.' };
  try {
    const parsed = parsePhoneNumberWithError(text, { defaultCountry: defaultCountry.toUpperCase() as CountryCode, extract: false });
    // A number with a type is valid: isValid() is getType() !== undefined wherever the metadata has types (all of
    // "max"), so the type is asked once and isValid() only of numbers without one (each is a run of the country's
    // regular expressions).
    const type = parsed.getType();
    if (type === undefined && !parsed.isValid()) {
      const national = parsed.nationalNumber.length;
      if (national < 6) return { ok: false, code: 'phone_too_short', message: 'That phone number is too short.' };
      return { ok: false, code: 'phone_invalid', message: 'That is not a valid phone number.' };
    }
    return { ok: true, e164: parsed.number, country: parsed.country, type };
  } catch (err) {
    if (err instanceof ParseError && err.message === 'TOO_SHORT') return { ok: false, code: 'phone_too_short', message: 'That phone number is too short.' };
    if (err instanceof ParseError && err.message === 'TOO_LONG') return { ok: false, code: 'phone_too_long', message: 'That phone number is too long.' };
    return { ok: false, code: 'phone_invalid', message: 'That is not a valid phone number.' };
  }
}

/** Digits only, as dialed through the trunk (the trunk's dial string adds any prefix the carrier needs). */
export function dialDigits(e164: string): string {
  return e164.replace(/^\+/, '');
}
