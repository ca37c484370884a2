/**
 * The subscriber portal's one navigation: every portal page, whichever feature serves it (portal, reports, usage,
 * team), renders these links through the layout's `portal-nav` partial, so no page shows a different menu.
 */
export const PORTAL_NAV: readonly (readonly [href: string, label: string])[] = [
  ['/portal', 'Overview'], ['/portal/profile', 'Profile'], ['/portal/domains', 'Domains'], ['/portal/departments', 'Departments'],
  ['/portal/hours', 'Hours'], ['/portal/messages', 'Messages'], ['/portal/widget', 'Widget'], ['/portal/invitations', 'Invitations'], ['/portal/preview', 'Preview'], ['/portal/requests', 'Requests'], ['/portal/inbox', 'Inbox'],
  ['/portal/team', 'Team'], ['/portal/reports', 'Reports'], ['/portal/usage', 'Usage'], ['/portal/notices', 'Notices'], ['/portal/webhooks', 'Webhooks'],
];

export interface PortalNav { links: { href: string; label: string; current: boolean }[]; csrf: string }

/** What the partial needs: the links with the current page marked, and the CSRF token of the log-out form. */
export function portalNav(active: string, csrf: string): PortalNav {
  return { links: PORTAL_NAV.map(([href, label]) => ({ href, label, current: href === active })), csrf };
}
