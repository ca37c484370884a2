import type { Channel } from './model.ts';

/**
 * Variables that are channel or CDR fields rather than channel variables: reading and writing them goes to the
 * field (an originate's `variables` set them the same way).
 */
const FIELDS: Record<string, 'accountcode' | 'userfield'> = {
  'CHANNEL(accountcode)': 'accountcode',
  'CDR(userfield)': 'userfield',
};

/** The variable's value, or undefined when a plain channel variable is not set. */
export function readVariable(ch: Channel, name: string): string | undefined {
  const field = FIELDS[name];
  return field ? ch[field] : ch.vars.get(name);
}

export function writeVariable(ch: Channel, name: string, value: string): void {
  const field = FIELDS[name];
  if (field) ch[field] = value;
  else ch.vars.set(name, value);
}
