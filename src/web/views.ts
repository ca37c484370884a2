import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import Handlebars from 'handlebars';
import { PACKAGE_ROOT } from '../platform/package-files.ts';

const VIEWS_DIR = join(PACKAGE_ROOT, 'views');

export type Render = (view: string, data: Record<string, unknown>, layout?: string | null) => string;

/**
 * Compiles every template under views/ once at start. Handlebars escapes {{ }} output, which is what keeps a
 * visitor's name like "<script>" harmless on every page; triple braces are used only for our own markup.
 */
export function createRenderer(dir = VIEWS_DIR): Render {
  const hbs = Handlebars.create();
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('json', (v: unknown) => new hbs.SafeString(JSON.stringify(v ?? null).replace(/</g, '\\u003c')));
  hbs.registerHelper('date', (d: unknown) => (d instanceof Date ? d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : d ? String(d) : ''));
  const partialsDir = join(dir, 'partials');
  if (existsSync(partialsDir)) {
    for (const f of readdirSync(partialsDir)) if (f.endsWith('.hbs')) hbs.registerPartial(basename(f, '.hbs'), readFileSync(join(partialsDir, f), 'utf8'));
  }
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) { if (entry.name !== 'partials') walk(rel); continue; }
      if (entry.name.endsWith('.hbs')) compiled.set(rel.slice(0, -4), hbs.compile(readFileSync(join(dir, rel), 'utf8')));
    }
  };
  walk('');
  return (view, data, layout = 'main') => {
    const tpl = compiled.get(view);
    if (!tpl) throw new Error(`no view ${view}`);
    const body = tpl(data);
    if (!layout) return body;
    const lay = compiled.get(`layouts/${layout}`);
    if (!lay) throw new Error(`no layout ${layout}`);
    return lay({ ...data, body });
  };
}
