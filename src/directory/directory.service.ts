import { createHash } from 'node:crypto';
import type { Pool } from '../platform/db/pool.ts';
import { hoursFromSettings, isOpen, nextOpening } from '../schedule/business-hours.ts';
import { findDomainOwner, hostOfPageUrl } from '../subscribers/domain-match.ts';
import { previewPageOwner } from './preview-page.ts';
import { findSubscriberById } from '../subscribers/subscriber.repository.ts';
import type { SubscriberCache, SubscriberEntry } from '../subscribers/subscriber-cache.ts';
import { WaitEstimates } from '../reports/wait-estimate.ts';
import { offerable } from '../subscribers/offerable.ts';
import { invitationFromSettings, inviteForPage } from '../invitations/invitation-settings.ts';
import type { Invite } from '../widget/client/invite/triggers.ts';
import { answeredByFromSettings, messagesFromSettings, skinFromSettings, type Skin } from '../subscribers/settings.ts';

/** What the widget needs to draw itself for one page. Never a phone number: the directory names, Beckon dials. */
export interface Directory {
  subscriber: { slug: string; name: string; country: string; timezone: string };
  departments: { id: string; name: string }[];
  skin: Skin;
  open: boolean;
  nextOpening: string | null;
  answeredBy: 'phone' | 'agents';
  /** the subscriber's short note for visitors ("we call back within 10 minutes"), empty when unset */
  announcement: string;
  /** false while nothing can take a call (no verified phone, no agent assigned): the widget stays hidden */
  ready: boolean;
  /** typical minutes until the phone rings for a request made now (src/reports/wait-estimate.ts); null when unknown or closed */
  waitEstimateMin: number | null;
  /** the visitor may call from the browser now (web calls on, open, ready); the widget also checks the browser can */
  webcall: boolean;
  /** the proactive invitation, only when it is on and applies to the page asked about (absent otherwise: small) */
  invite?: Invite;
}

/**
 * Pure: the directory of one subscriber at one moment. Only departments that can take a call are listed.
 * `webcalls`: the server offers calls from the browser (WEBCALL_ENABLED); `pageUrl`: the page asking, for the invitation.
 */
export function buildDirectory(entry: SubscriberEntry, now: Date, waitEstimateMin: number | null = null, webcalls = false, pageUrl?: string): Directory {
  const { subscriber: s, departments } = entry;
  const hours = hoursFromSettings(s.settings, s.timezone);
  const open = isOpen(hours, now);
  const next = open ? null : nextOpening(hours, now);
  const answeredBy = answeredByFromSettings(s.settings);
  // Misconfigured departments (phone not verified, agents but none assigned) are never offered to visitors.
  const { departments: usable, ready } = offerable(s, departments, entry.agents);
  const invite = pageUrl === undefined ? null : inviteForPage(invitationFromSettings(s.settings), pageUrl);
  return {
    subscriber: { slug: s.slug, name: s.name, country: s.country, timezone: s.timezone },
    departments: usable.map((d) => ({ id: d.id, name: d.name })),
    skin: skinFromSettings(s.settings),
    open,
    nextOpening: next ? next.toISOString() : null,
    answeredBy,
    announcement: messagesFromSettings(s.settings).announcement,
    ready,
    waitEstimateMin: open ? waitEstimateMin : null,
    // A web call cannot wait for the next opening, and needs something to answer it.
    webcall: webcalls && open && ready,
    ...(invite ? { invite } : {}),
  };
}

/** Weak validator over the exact body: equal JSON, equal ETag, whichever page of the site asked. */
export function etagOf(body: string): string {
  return `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** Whether an If-None-Match header names this ETag (a list, `*`, weak or strong forms alike). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

/**
 * Host → subscriber slug with a short in-process cache: the directory is hit on every page view of every
 * subscriber's site, and hosts change rarely (a removed domain stops resolving within TTL_MS).
 */
export class DirectoryService {
  private hosts = new Map<string, { at: number; slug: Promise<string | null> }>();
  constructor(
    private readonly pool: Pool, private readonly subscribers: SubscriberCache, private readonly ttlMs = 5000,
    private readonly waits: WaitEstimates = new WaitEstimates(pool),
    private readonly webcalls = false,
  ) {}

  /** `self`: Beckon's own origins, where a portal preview page belongs to the subscriber it names (preview-page.ts). */
  async forPage(pageUrl: string, now = new Date(), self: readonly string[] = []): Promise<Directory | null> {
    const host = hostOfPageUrl(pageUrl);
    if (!host) return null;
    const slug = previewPageOwner(pageUrl, self) ?? await this.slugFor(host);
    if (!slug) return null;
    const entry = await this.subscribers.get(slug);
    if (!entry || entry.subscriber.status !== 'active') return null;
    return buildDirectory(entry, now, await this.waits.forSubscriber(entry.subscriber.id), this.webcalls, pageUrl);
  }

  invalidate(): void { this.hosts.clear(); }

  private slugFor(host: string): Promise<string | null> {
    const hit = this.hosts.get(host);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.slug;
    const slug = (async () => {
      const owner = await findDomainOwner(this.pool, host);
      if (!owner) return null;
      return (await findSubscriberById(this.pool, owner.subscriberId))?.slug ?? null;
    })();
    this.hosts.set(host, { at: Date.now(), slug });
    slug.catch(() => this.hosts.delete(host));
    // Strangers can send any host: bound the cache so a flood of made-up hosts cannot grow it.
    if (this.hosts.size > 5000) this.hosts.delete(this.hosts.keys().next().value!);
    return slug;
  }
}
