import { outcomeForUnansweredCause, type Outcome } from './call-state.ts';

/** How an offer of a call to an agent ended (agent_offers.outcome). */
export type OfferOutcome = 'connected' | 'declined' | 'no_answer' | 'busy' | 'failed' | 'visitor_unanswered' | 'canceled';

/** Q.850 cause of an agent's leg that was never answered -> how the offer ended. Pure. */
export function offerOutcomeForCause(cause: number): OfferOutcome {
  const o = outcomeForUnansweredCause(cause);
  return o === 'busy' ? 'busy' : o === 'no_answer' ? 'no_answer' : o === 'rejected' ? 'declined' : 'failed';
}

/** How a customer-first attempt's end reads as an offer to the agent it rang. Pure. */
export function offerOutcomeOf(outcome: Outcome): OfferOutcome {
  if (outcome.outcome === 'answered') return 'connected';
  if (outcome.outcome === 'callee_unanswered') return outcome.cause === null ? 'failed' : offerOutcomeForCause(outcome.cause);
  return outcome.outcome === 'canceled' ? 'canceled' : 'visitor_unanswered';
}
