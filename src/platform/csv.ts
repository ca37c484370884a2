/**
 * RFC 4180 CSV. Fields with a comma, quote or line break are quoted and quotes doubled; a field starting
 * with = + - @ (or tab/CR) is prefixed with ' so a spreadsheet does not run it as a formula (CSV injection:
 * visitor names and page URLs come from strangers).
 */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : String(value);
  // Plain numbers (-12, +12025550111 in E.164) stay as they are: a spreadsheet reads them as numbers, not formulas.
  if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
