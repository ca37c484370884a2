import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { PACKAGE_ROOT } from '../platform/package-files.ts';

const EMAIL_DIR = join(PACKAGE_ROOT, 'views', 'email');

/** One mail's two parts and its subject. */
export interface MailParts { subject: string; text: string; html: string }

export type EmailTemplates = (name: string, data: Record<string, unknown>) => { text: string; html: string };

/**
 * The mail templates of views/email: `<name>.html.hbs` (escaped, as every web page) and `<name>.text.hbs` (not
 * escaped: plain text has no markup to inject, and "&amp;" in a text part is just wrong), each wrapped in its
 * layout (`layout.html.hbs`, `layout.text.hbs`) which carries the footer. Compiled once.
 */
export function createEmailTemplates(dir = EMAIL_DIR): EmailTemplates {
  const html = Handlebars.create();
  const text = Handlebars.create();
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  for (const f of readdirSync(dir)) {
    const m = /^(.+)\.(html|text)\.hbs$/.exec(f);
    if (!m) continue;
    const engine = m[2] === 'html' ? html : text;
    compiled.set(`${m[1]}.${m[2]}`, engine.compile(readFileSync(join(dir, f), 'utf8'), { noEscape: m[2] === 'text', strict: false }));
  }
  const part = (name: string, kind: 'html' | 'text', data: Record<string, unknown>) => {
    const body = compiled.get(`${name}.${kind}`);
    const layout = compiled.get(`layout.${kind}`);
    if (!body || !layout) throw new Error(`no email template ${name}.${kind}`);
    return layout({ ...data, body: body(data) });
  };
  return (name, data) => ({ text: part(name, 'text', data), html: part(name, 'html', data) });
}
