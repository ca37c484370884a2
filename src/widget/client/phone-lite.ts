/**
 * Client-side phone check, deliberately lighter than the server's libphonenumber-js/max: the smallest
 * libphonenumber bundle ('libphonenumber-js/min', ~29 KB gzipped measured with esbuild) alone is twice the widget's
 * 15 KB budget. So the widget checks what catches typing mistakes (digits only, national length per country,
 * calling code) and turns a national number into international form for the chosen country; the server stays
 * the authority and its field errors are shown on the same field.
 */

/** ISO country, calling code, shortest and longest national significant number, trunk prefix kept (Italy). */
type Row = [iso: string, cc: string, min: number, max: number, keepZero?: 1];

export const COUNTRIES: readonly Row[] = [
  ['US', '1', 10, 10], ['CA', '1', 10, 10], ['GB', '44', 9, 10], ['FR', '33', 9, 9], ['DE', '49', 6, 13],
  ['ES', '34', 9, 9], ['IT', '39', 6, 11, 1], ['NL', '31', 9, 9], ['BE', '32', 8, 9], ['CH', '41', 9, 9],
  ['AT', '43', 4, 13], ['IE', '353', 7, 9], ['PT', '351', 9, 9], ['LU', '352', 4, 11], ['SE', '46', 7, 9],
  ['NO', '47', 8, 8], ['DK', '45', 8, 8], ['FI', '358', 5, 12], ['PL', '48', 9, 9], ['CZ', '420', 9, 9],
  ['GR', '30', 10, 10], ['RO', '40', 9, 9], ['HU', '36', 8, 9], ['AU', '61', 9, 9], ['NZ', '64', 8, 10],
  ['JP', '81', 9, 10], ['IN', '91', 10, 10], ['BR', '55', 10, 11], ['MX', '52', 10, 10], ['AR', '54', 10, 11],
  ['ZA', '27', 9, 9], ['MA', '212', 9, 9], ['DZ', '213', 8, 9], ['TN', '216', 8, 8], ['SN', '221', 9, 9],
  ['CI', '225', 8, 10], ['CM', '237', 8, 9], ['SG', '65', 8, 8], ['HK', '852', 8, 8], ['IL', '972', 8, 9],
  ['TR', '90', 10, 10], ['CN', '86', 10, 11], ['KR', '82', 8, 10], ['AE', '971', 8, 9],
];

export type LiteResult =
  | { ok: true; e164: string }
  | { ok: false; code: 'phone_required' | 'phone_too_short' | 'phone_too_long' | 'phone_invalid' };

function findCountry(iso: string): Row | undefined {
  const up = iso.toUpperCase();
  return COUNTRIES.find((r) => r[0] === up);
}

/** The country to preselect: the subscriber's, else the browser's region, else the first of the table. */
export function defaultCountry(subscriberCountry: string | undefined, browserLanguages: readonly string[]): string {
  if (subscriberCountry && findCountry(subscriberCountry)) return subscriberCountry.toUpperCase();
  for (const l of browserLanguages) {
    const region = /[-_]([A-Za-z]{2})$/.exec(l)?.[1];
    if (region && findCountry(region)) return region.toUpperCase();
  }
  return COUNTRIES[0]![0];
}

function lengthVerdict(n: number, min: number, max: number): LiteResult | null {
  if (n < min) return { ok: false, code: 'phone_too_short' };
  if (n > max) return { ok: false, code: 'phone_too_long' };
  return null;
}

export function checkPhone(input: string, countryIso: string): LiteResult {
  const text = input.trim();
  if (!text) return { ok: false, code: 'phone_required' };
  if (text.length > 40 || /[^\d\s+().\-/]/.test(text) || text.lastIndexOf('+') > 0) return { ok: false, code: 'phone_invalid' };
  let digits = text.replace(/\D/g, '');
  const international = text.startsWith('+') || digits.startsWith('00');
  if (international) {
    if (!text.startsWith('+')) digits = digits.slice(2);
    // Longest calling code first: 3-digit codes are not prefixes of the 1/2-digit ones we list, but be exact.
    const row = [...COUNTRIES].sort((a, b) => b[1].length - a[1].length).find((r) => digits.startsWith(r[1]));
    if (!row) return lengthVerdict(digits.length, 8, 15) ?? { ok: true, e164: '+' + digits };
    const national = digits.slice(row[1].length);
    return lengthVerdict(national.length, row[2], row[3]) ?? { ok: true, e164: '+' + digits };
  }
  const row = findCountry(countryIso) ?? COUNTRIES[0]!;
  let national = digits;
  if (row[1] === '1' && national.length === 11 && national.startsWith('1')) national = national.slice(1);
  else if (!row[4] && national.startsWith('0')) national = national.slice(1);
  const bad = lengthVerdict(national.length, row[2], row[3]);
  if (bad) return bad;
  // North American area codes and exchanges never start with 0 or 1.
  if (row[1] === '1' && (/^[01]/.test(national) || /^\d{3}[01]/.test(national))) return { ok: false, code: 'phone_invalid' };
  return { ok: true, e164: '+' + row[1] + national };
}
