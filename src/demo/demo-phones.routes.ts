import Router from 'koa-router';
import { z } from 'zod';
import { csrfToken, verifyCsrf } from '../auth/csrf.ts';
import { ValidationError } from '../platform/errors.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { phoneCallView, type SimPhones } from './sim-phones.ts';

const Command = z.discriminatedUnion('command', [
  z.object({ command: z.literal('answer') }),
  z.object({ command: z.literal('hangup') }),
  z.object({ command: z.literal('dtmf'), digit: z.string().regex(/^[0-9*#]$/, 'Press one key: 0-9, * or #.') }),
]);
const ChannelId = z.string().min(1).max(128).regex(/^[\w.-]+$/);

/**
 * The demo's phones (only when the simulator is in use, DEMO_PHONES_URL): every simulated phone's calls, what it
 * heard (a verification code read out, prompts, music) and the keys it pressed, with buttons to answer a ringing
 * phone, press keys and hang up. `?part=list` is the list alone, which public/demo-phones.js refreshes.
 */
export function demoPhonesRoutes(deps: { phones: SimPhones; render: Render }): Router<AppState, {}> {
  const router = new Router<AppState, {}>({ prefix: '/demo/phones' });
  router.use(verifyCsrf());

  async function list(ctx: AppContext) {
    const now = Date.now();
    return { csrf: csrfToken(ctx), calls: (await deps.phones.calls()).map((c) => phoneCallView(c, now)), keys: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] };
  }

  router.get('/', async (ctx) => {
    const data = await list(ctx);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    if (ctx.query.part === 'list') {
      ctx.body = deps.render('demo/phone-list', data, null);
      return;
    }
    const getSession = (ctx as unknown as { session?: { phoneFlash?: string } }).session;
    const flash = getSession?.phoneFlash ?? null;
    if (getSession && flash) getSession.phoneFlash = undefined;
    ctx.body = deps.render('demo/phones', { title: 'Demo phones', flash, ...data });
  });

  router.post('/:id', async (ctx) => {
    const id = ChannelId.safeParse(ctx.params.id);
    const body = Command.safeParse((ctx.request as unknown as { body?: unknown }).body);
    if (!id.success) throw new ValidationError([{ field: 'id', code: 'invalid', message: 'No such call.' }]);
    if (!body.success) throw new ValidationError([{ field: 'command', code: 'invalid', message: body.error.issues[0]?.message ?? 'Choose answer, a key or hang up.' }]);
    await deps.phones.command(id.data, body.data.command, body.data.command === 'dtmf' ? body.data.digit : undefined);
    if (ctx.accepts('html', 'json') === 'json') { ctx.status = 204; return; }
    ctx.status = 303;
    ctx.redirect('/demo/phones');
  });
  return router;
}
