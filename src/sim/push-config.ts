import { randomBytes } from 'node:crypto';
import { AriError } from './ari-error.ts';

/** An ARI push-configuration field. */
interface ConfigTuple { attribute: string; value: string }

/** The object types asterisk/conf/sorcery.conf gives res_pjsip's `memory` wizard: what may be pushed. */
const PUSHABLE = new Set(['auth', 'aor', 'endpoint']);

/**
 * ARI push configuration (`/asterisk/config/dynamic/res_pjsip/{type}/{id}`) as sorcery's memory wizard keeps it:
 * PUT creates or replaces an object and answers 200 with its fields, GET reads it, DELETE removes it (204); an
 * object never pushed is 404. A pushed auth is what the browser agents register with: its password becomes the
 * web agent account's (the agent console's per-session credentials); deleting it, or a restart (memory is not
 * kept), leaves that account a password nobody holds. Objects are kept as given; field names are not checked
 * against res_pjsip's (Asterisk answers 400 for an unknown one), and the wording of the errors was not recorded.
 */
export class PushConfig {
  private readonly objects = new Map<string, ConfigTuple[]>();

  constructor(private readonly setAccount: (name: string, password: string) => void) {}

  put(configClass: string, type: string, id: string, body: unknown): { status: number; json: unknown } {
    this.check(configClass, type);
    const fields = (body as { fields?: unknown } | null)?.fields;
    if (!Array.isArray(fields) || !fields.every((f) => f && typeof f.attribute === 'string' && typeof f.value === 'string')) {
      throw new AriError(400, { message: 'Bad request: fields must be a list of {attribute, value}' });
    }
    const tuples = fields.map((f: ConfigTuple) => ({ attribute: f.attribute, value: f.value }));
    this.objects.set(`${type}/${id}`, tuples);
    if (type === 'auth') {
      const password = tuples.filter((t) => t.attribute === 'password').pop()?.value;
      const user = tuples.filter((t) => t.attribute === 'username').pop()?.value ?? id;
      if (password !== undefined) this.setAccount(user, password);
    }
    return { status: 200, json: tuples };
  }

  get(configClass: string, type: string, id: string): { status: number; json: unknown } {
    this.check(configClass, type);
    const found = this.objects.get(`${type}/${id}`);
    if (!found) throw missing(type, id);
    return { status: 200, json: found };
  }

  delete(configClass: string, type: string, id: string): void {
    this.check(configClass, type);
    const found = this.objects.get(`${type}/${id}`);
    if (!found) throw missing(type, id);
    this.objects.delete(`${type}/${id}`);
    if (type === 'auth') this.forget(found, id);
  }

  /** Asterisk restarted: the memory wizard starts empty. */
  reset(): void {
    for (const [key, tuples] of this.objects) if (key.startsWith('auth/')) this.forget(tuples, key.slice('auth/'.length));
    this.objects.clear();
  }

  private forget(tuples: ConfigTuple[], id: string): void {
    const user = tuples.filter((t) => t.attribute === 'username').pop()?.value ?? id;
    this.setAccount(user, randomBytes(16).toString('hex'));
  }

  private check(configClass: string, type: string): void {
    if (configClass !== 'res_pjsip' || !PUSHABLE.has(type)) throw new AriError(404, { message: `No sorcery object type '${type}' in '${configClass}' to push to` });
  }
}

const missing = (type: string, id: string) => new AriError(404, { message: `Object '${id}' of type '${type}' not found` });
