import { STAGE_LABEL, STATUS_TEXT, type Stage, type StatusView } from './status.service.ts';

/** An attempt's outcome as the visitor reads it. */
const OUTCOME_TEXT: Record<string, string> = {
  answered: 'Answered', busy: 'Line busy', no_answer: 'No answer', rejected: 'Declined', failed: 'Could not be placed',
  callee_unanswered: 'Nobody was free to take it', no_human: 'No key pressed (voicemail?)', abandoned: 'Hung up before being connected',
  canceled: 'Canceled', refused: 'Not placed',
};

/** The steps a call-back goes through; `finding` only where an agent is found first (shown once reached). */
const STEPS: Stage[] = ['queued', 'finding', 'calling', 'connecting', 'connected', 'completed'];

/** A time for the page: the ISO instant (the browser writes it in words in the visitor's zone) and a UTC fallback. */
export function timeCell(iso: string | null): { iso: string; text: string } {
  if (!iso) return { iso: '', text: '' };
  const d = new Date(iso);
  const text = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(d);
  return { iso, text: `${text} UTC` };
}

/** The step a stage stands on: scheduled waits like queued, a held call is still connected. */
function stepOf(stage: Stage): Stage {
  return stage === 'scheduled' ? 'queued' : stage === 'on_hold' ? 'connected' : stage;
}

/** Pure: what the hosted status page shows for one status view. public/callback-status.js redraws it from events. */
export function statusPageModel(view: StatusView) {
  const at = STEPS.indexOf(stepOf(view.stage));
  const ended = at < 0; // failed, expired, canceled
  return {
    stageLabel: STAGE_LABEL[view.stage],
    statusText: STATUS_TEXT[view.stage],
    pending: view.stage === 'queued' || view.stage === 'scheduled',
    scheduledText: timeCell(view.scheduledAt).text,
    steps: STEPS.map((id, i) => ({
      id, label: STAGE_LABEL[id === 'queued' ? 'queued' : id],
      state: ended ? '' : i < at ? 'done' : i === at ? 'current' : '',
      hidden: id === 'finding' && view.stage !== 'finding',
    })),
    attemptRows: view.attempts.map((a) => ({
      n: a.n, outcome: a.outcome ? OUTCOME_TEXT[a.outcome] ?? a.outcome : 'In progress',
      startedAt: timeCell(a.startedAt), answeredAt: timeCell(a.answeredAt), endedAt: timeCell(a.endedAt),
    })),
    words: JSON.stringify({ stage: STAGE_LABEL, text: STATUS_TEXT, outcome: OUTCOME_TEXT }),
  };
}
