import type { AcceptContext, AcceptGuard } from '../callbacks/accept.service.ts';
import { AppError } from '../errors/app-error.ts';
import { hoursFromSettings, isOpen, nextOpening, type BusinessHours } from './business-hours.ts';

/**
 * When a call-back may be placed. A visitor's chosen time must fall in business hours (the widget offers
 * only open slots, see openSlots); a request for "now" while the business is closed waits for the next
 * opening. Both are decided before anything is written.
 */
export function subscriberHours(ctx: Pick<AcceptContext, 'entry'>): BusinessHours {
  const s = ctx.entry.subscriber;
  return hoursFromSettings(s.settings, s.timezone);
}

export function createScheduling(clock: () => number = Date.now): { guard: AcceptGuard; firstSlot: (ctx: AcceptContext) => Date | null } {
  const guard: AcceptGuard = async (ctx) => {
    const hours = subscriberHours(ctx);
    if (ctx.scheduledAt) {
      if (!isOpen(hours, ctx.scheduledAt)) {
        const next = nextOpening(hours, ctx.scheduledAt);
        const message = 'The business is closed at the time you chose. Please pick a time within its opening hours.';
        throw new AppError(400, 'outside_business_hours', message,
          [{ field: 'scheduledAt', code: 'outside_business_hours', message }], { nextOpening: next?.toISOString() ?? null });
      }
      return;
    }
    if (!isOpen(hours, new Date(clock())) && !nextOpening(hours, new Date(clock()))) {
      throw new AppError(409, 'subscriber_closed', 'This business takes no call-back requests at the moment.');
    }
  };
  const firstSlot = (ctx: AcceptContext): Date | null => {
    const now = new Date(clock());
    const hours = subscriberHours(ctx);
    // The guard has already refused a business that never opens.
    return isOpen(hours, now) ? null : nextOpening(hours, now);
  };
  return { guard, firstSlot };
}
