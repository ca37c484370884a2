import { csrfToken } from '../auth/csrf.ts';
import { takeFlash } from '../auth/session.ts';
import type { AppContext } from '../web/context.ts';
import type { Render } from '../web/views.ts';

/** The operator console's one navigation, with its log-out form: every admin page shows it, agents' pages too. */
const ADMIN_NAV = [
  ['/admin', 'Health'], ['/admin/subscribers', 'Subscribers'], ['/admin/agents', 'Agents'], ['/admin/rates', 'Rates'],
  ['/admin/calls', 'Calls'], ['/admin/queues', 'Queue'],
].map(([href, label]) => `<a href="${href}">${label}</a>`).join('') + '<form method="post" action="/admin/logout" class="inline"><input type="hidden" name="_csrf" value="__CSRF__"><button type="submit" class="link">Log out</button></form>';

/** An operator console page: its flash (shown once), the CSRF token of its forms, the operator and the navigation; never cached. */
export function renderAdminPage(ctx: AppContext, render: Render, view: string, data: Record<string, unknown>): void {
  const csrf = csrfToken(ctx);
  const flash = takeFlash(ctx);
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = render(view, { ...data, csrf, flash, operator: ctx.state.user, nav: ADMIN_NAV.replace('__CSRF__', csrf) });
}
