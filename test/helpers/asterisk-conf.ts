/**
 * Reading asterisk/conf the way Asterisk does, as far as the unit tests need: sections with templates (pjsip.conf,
 * http.conf), and a dialplan context run by a small interpreter that knows only the applications and functions the
 * shipped web-call context uses (anything else throws, so a new one cannot slip past the tests unread).
 */

/** One `[name](templates)` section: `(!)` marks a template; entries in file order, comments dropped. */
export interface ConfSection {
  name: string;
  template: boolean;
  parents: string[];
  entries: [string, string][];
}

/** Sections in file order; a name may repeat (pjsip.conf: endpoint, aor and auth of one name). */
export function parseSections(text: string): ConfSection[] {
  const sections: ConfSection[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '').trim();
    if (!line) continue;
    const head = /^\[([^\]]+)\](?:\(([^)]*)\))?/.exec(line);
    if (head) {
      const marks = (head[2] ?? '').split(',').map((m) => m.trim()).filter(Boolean);
      sections.push({ name: head[1]!, template: marks.includes('!'), parents: marks.filter((m) => m !== '!'), entries: [] });
      continue;
    }
    const kv = /^([^=]+?)\s*=>?\s*(.*)$/.exec(line);
    if (kv && sections.length) sections.at(-1)!.entries.push([kv[1]!, kv[2]!]);
  }
  return sections;
}

/** A section's entries with its templates' entries first, as Asterisk applies them (templates nest). */
export function resolvedEntries(sections: ConfSection[], section: ConfSection): [string, string][] {
  const inherited = section.parents.flatMap((parent) => {
    const template = sections.find((s) => s.name === parent && s.template);
    if (!template) throw new Error(`[${section.name}] names a template [${parent}] that does not exist`);
    return resolvedEntries(sections, template);
  });
  return [...inherited, ...section.entries];
}

/** The last value of `key` (later entries override earlier ones), or undefined. */
export function valueOf(entries: [string, string][], key: string): string | undefined {
  return entries.filter(([k]) => k === key).at(-1)?.[1];
}

/** The object `name` of `type` (pjsip.conf sorcery objects: endpoint, aor, auth, transport, identify, global). */
export function pjsipObject(sections: ConfSection[], name: string, type: string): [string, string][] | undefined {
  for (const s of sections) {
    if (s.name !== name || s.template) continue;
    const entries = resolvedEntries(sections, s);
    if (valueOf(entries, 'type') === type) return entries;
  }
  return undefined;
}

/** Every non-template object of `type`, by name. */
export function pjsipObjects(sections: ConfSection[], type: string): Map<string, [string, string][]> {
  const found = new Map<string, [string, string][]>();
  for (const s of sections) {
    if (s.template) continue;
    const entries = resolvedEntries(sections, s);
    if (valueOf(entries, 'type') === type) found.set(s.name, entries);
  }
  return found;
}

/** One dialplan priority of a context. */
export interface Priority {
  exten: string;
  priority: number;
  label?: string;
  app: string;
  data: string;
}

/** The priorities of a context (`exten =>` and `same =>` lines; `n` counts on from the previous priority). */
export function parseContext(section: ConfSection): { priorities: Priority[]; includes: string[] } {
  const priorities: Priority[] = [];
  const includes: string[] = [];
  let exten = '';
  let previous = 0;
  for (const [key, value] of section.entries) {
    if (key === 'include') { includes.push(value); continue; }
    if (key !== 'exten' && key !== 'same') throw new Error(`unexpected "${key}" in [${section.name}]`);
    let rest = value;
    if (key === 'exten') {
      const comma = rest.indexOf(',');
      exten = rest.slice(0, comma).trim();
      rest = rest.slice(comma + 1);
    }
    const m = /^\s*(\d+|n)(?:\(([^)]+)\))?\s*,\s*([A-Za-z]\w*)(?:\((.*)\))?\s*$/.exec(rest);
    if (!m) throw new Error(`cannot read priority "${value}" in [${section.name}]`);
    previous = m[1] === 'n' ? previous + 1 : Number(m[1]);
    priorities.push({ exten, priority: previous, label: m[2], app: m[3]!, data: m[4] ?? '' });
  }
  return { priorities, includes };
}

/** What a channel entering the context brings: its SIP transport addresses and headers. */
export interface IncomingCall {
  localAddr: string;
  remoteAddr: string;
  headers: Record<string, string>;
}

export type DialplanOutcome =
  | { end: 'stasis'; app: string; args: string[]; logged: string[] }
  | { end: 'hangup'; logged: string[] };

/**
 * Runs `exten` of a parsed context for `call` until Stasis() or Hangup(). Knows GotoIf, Log, Hangup, Stasis; the
 * functions CHANNEL(pjsip,local_addr|remote_addr), PJSIP_HEADER(read,…) and FILTER; `$[ "a" =~ "re" ]` and
 * `$[ "a" = "b" ]`. A missing header reads as "" (Asterisk's PJSIP_HEADER fails and the substitution is empty).
 */
export function runExtension(priorities: Priority[], exten: string, call: IncomingCall, globals: Map<string, string>): DialplanOutcome {
  const steps = priorities.filter((p) => p.exten === exten).sort((a, b) => a.priority - b.priority);
  const logged: string[] = [];
  let i = 0;
  for (let guard = 0; guard < 100 && i < steps.length; guard++) {
    const step = steps[i]!;
    const data = substitute(step.data, call, globals);
    switch (step.app) {
      case 'GotoIf': {
        const q = data.lastIndexOf('?');
        const [ifTrue, ifFalse] = data.slice(q + 1).split(':');
        const target = checkCondition(data.slice(0, q)) ? ifTrue : ifFalse;
        if (!target) { i++; break; }
        if (target.includes(',')) throw new Error(`GotoIf leaves the extension: ${target}`);
        i = steps.findIndex((s) => s.label === target);
        if (i < 0) throw new Error(`no label ${target}`);
        break;
      }
      case 'Log': logged.push(data); i++; break;
      case 'Hangup': return { end: 'hangup', logged };
      case 'Stasis': {
        const [app, ...args] = data.split(',');
        return { end: 'stasis', app: app!, args, logged };
      }
      default: throw new Error(`the interpreter does not know ${step.app}()`);
    }
  }
  return { end: 'hangup', logged }; // running off the end of an extension hangs the channel up
}

/** pbx_checkcondition: empty and numeric zero are false, anything else true. */
function checkCondition(value: string): boolean {
  const v = value.trim();
  if (!v) return false;
  return /^-?\d+$/.test(v) ? Number(v) !== 0 : true;
}

/** Expands `${…}` and `$[…]` innermost first, as pbx_substitute_variables does. */
function substitute(text: string, call: IncomingCall, globals: Map<string, string>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text[i] === '$' ? text[i + 1] : undefined;
    if (open !== '{' && open !== '[') { out += text[i++]; continue; }
    const close = open === '{' ? '}' : ']';
    let depth = 1;
    let j = i + 2;
    for (; j < text.length && depth; j++) {
      if (text[j] === open) depth++;
      else if (text[j] === close) depth--;
    }
    if (depth) throw new Error(`unbalanced ${open} in ${text}`);
    const inner = substitute(text.slice(i + 2, j - 1), call, globals);
    out += open === '{' ? lookup(inner, call, globals) : expression(inner);
    i = j;
  }
  return out;
}

function lookup(name: string, call: IncomingCall, globals: Map<string, string>): string {
  const fn = /^([A-Z_]+)\((.*)\)$/s.exec(name);
  if (!fn) {
    if (!globals.has(name)) throw new Error(`unknown variable ${name}`);
    return globals.get(name)!;
  }
  const [, func, argText] = fn;
  const args = splitArgs(argText!, func === 'FILTER' ? 2 : Infinity);
  if (func === 'CHANNEL' && args[0] === 'pjsip' && args[1] === 'local_addr') return call.localAddr;
  if (func === 'CHANNEL' && args[0] === 'pjsip' && args[1] === 'remote_addr') return call.remoteAddr;
  if (func === 'PJSIP_HEADER' && args[0] === 'read') return call.headers[args[1]!] ?? '';
  if (func === 'FILTER') return filter(args[0]!, args[1] ?? '');
  throw new Error(`the interpreter does not know ${name}`);
}

/** Comma-separated arguments; the last one takes the rest of the text, commas included. */
function splitArgs(text: string, max: number): string[] {
  const parts = text.split(',');
  return parts.length > max ? [...parts.slice(0, max - 1), parts.slice(max - 1).join(',')] : parts;
}

/**
 * FILTER(allowed,string): `allowed` has single characters and `a-z` ranges. As in func_strings.c, a `-` after a
 * character always makes a range, so a trailing `-` is swallowed (`_-` allows only `_`); a leading one is itself.
 */
function filter(allowed: string, value: string): string {
  const keep = new Set<string>();
  for (let i = 0; i < allowed.length; i++) {
    const c = allowed[i]!;
    if (allowed[i + 1] !== '-') { keep.add(c); continue; }
    const last = allowed[i + 2] ?? c;
    for (let code = c.charCodeAt(0); code <= last.charCodeAt(0); code++) keep.add(String.fromCharCode(code));
    i += allowed[i + 2] === undefined ? 1 : 2;
  }
  return [...value].filter((c) => keep.has(c)).join('');
}

/** `"a" =~ "re"` (first group, else match length; "" / 0 without a match) and `"a" = "b"`. */
function expression(text: string): string {
  const m = /^\s*"([^"]*)"\s*(=~|=)\s*"([^"]*)"\s*$/.exec(text);
  if (!m) throw new Error(`the interpreter does not know the expression ${text}`);
  const [, left, op, right] = m;
  if (op === '=') return left === right ? '1' : '0';
  const found = new RegExp(right!).exec(left!);
  if (/\((?!\?)/.test(right!)) return found?.[1] ?? '';
  return String(found ? found[0].length : 0);
}
