import { dialDigits } from '../../phone/phone-number.ts';
import { sipSafe } from '../../platform/validation/text.ts';

/** The dial string of a number through the trunk (TRUNK_ENDPOINT, `{number}` replaced by its digits). Pure. */
export function trunkEndpoint(template: string, e164: string): string {
  return template.replace('{number}', dialDigits(e164));
}

/** The caller id a phone shows: name and number both pass sipSafe (no CR/LF or quotes can reach a SIP header). */
export function callerId(name: string | null, e164: string): string {
  const clean = sipSafe(name ?? '').slice(0, 40).trim();
  const number = sipSafe(e164);
  return clean ? `"${clean}" <${number}>` : number;
}
