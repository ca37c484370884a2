/** The widget's words. Keys are shared; `{name}`-style placeholders are filled by `t`. */
const en = {
  button: 'Call me back',
  title: 'We call you back',
  intro: 'Leave your number and {name} calls you back.',
  department: 'Department',
  country: 'Country',
  phone: 'Phone number',
  name: 'Your name',
  message: 'Message (optional)',
  consent: 'I agree to be called at this number by {name}.',
  callNow: 'Call me now',
  chooseTime: 'Choose a time instead',
  time: 'Time (your time zone)',
  schedule: 'Call me at this time',
  closedNow: 'We are closed right now. Pick a time and we will call you then.',
  usualWait: 'We usually call back within about {minutes} min.',
  noSlots: 'No time is available in the coming days.',
  close: 'Close',
  sending: 'Sending…',
  phone_required: 'Please enter your phone number.',
  phone_too_short: 'This number looks too short.',
  phone_too_long: 'This number looks too long.',
  phone_invalid: 'This does not look like a phone number.',
  consent_required: 'Please tick the box so we may call you.',
  time_required: 'Please pick a time.',
  network: 'We could not reach the call-back service. Please try again.',
  already_waiting: 'A call-back for this number is already waiting. We will call as promised.',
  queued: 'Your request is in the queue. We will call you in a moment.',
  queuedWait: 'Your request is in the queue. Estimated wait: about {minutes} min.',
  scheduledAt: 'We will call you on {when}.',
  retryAt: 'We could not reach you. We will try again at {when}.',
  calling: 'Calling you now…',
  connecting: 'You answered. Connecting you to {name}…',
  connected: 'Connected. Enjoy your call!',
  completed: 'The call has ended. Thank you!',
  failed_busy: 'Your line was busy and we could not reach you. Please try again later.',
  failed_noanswer: 'We called but nobody answered.',
  failed_callee: 'Sorry, {name} could not take the call. Please try again later.',
  failed: 'Sorry, the call could not be made.',
  expired: 'Sorry, we could not call you back in time.',
  canceled: 'Your call-back was canceled.',
  cancel: 'Cancel this call-back',
  again: 'New request',
} as const;

export type MessageKey = keyof typeof en;
type Dict = Record<MessageKey, string>;

const fr: Dict = {
  button: 'Rappelez-moi',
  title: 'Nous vous rappelons',
  intro: 'Laissez votre numéro et {name} vous rappelle.',
  department: 'Service',
  country: 'Pays',
  phone: 'Numéro de téléphone',
  name: 'Votre nom',
  message: 'Message (facultatif)',
  consent: 'J’accepte d’être appelé à ce numéro par {name}.',
  callNow: 'Appelez-moi maintenant',
  chooseTime: 'Choisir un horaire',
  time: 'Horaire (votre fuseau horaire)',
  schedule: 'Appelez-moi à cet horaire',
  closedNow: 'Nous sommes fermés pour le moment. Choisissez un horaire et nous vous appellerons.',
  usualWait: 'Nous rappelons en général sous {minutes} min environ.',
  noSlots: 'Aucun horaire disponible dans les prochains jours.',
  close: 'Fermer',
  sending: 'Envoi…',
  phone_required: 'Veuillez saisir votre numéro de téléphone.',
  phone_too_short: 'Ce numéro semble trop court.',
  phone_too_long: 'Ce numéro semble trop long.',
  phone_invalid: 'Ceci ne ressemble pas à un numéro de téléphone.',
  consent_required: 'Veuillez cocher la case pour que nous puissions vous appeler.',
  time_required: 'Veuillez choisir un horaire.',
  network: 'Le service de rappel est injoignable. Veuillez réessayer.',
  already_waiting: 'Un rappel pour ce numéro est déjà prévu. Nous vous appellerons comme convenu.',
  queued: 'Votre demande est en file d’attente. Nous vous appelons dans un instant.',
  queuedWait: 'Votre demande est en file d’attente. Attente estimée : environ {minutes} min.',
  scheduledAt: 'Nous vous appellerons le {when}.',
  retryAt: 'Nous n’avons pas pu vous joindre. Nouvel essai à {when}.',
  calling: 'Nous vous appelons…',
  connecting: 'Vous avez décroché. Mise en relation avec {name}…',
  connected: 'En communication. Bon appel !',
  completed: 'L’appel est terminé. Merci !',
  failed_busy: 'Votre ligne était occupée. Veuillez réessayer plus tard.',
  failed_noanswer: 'Nous avons appelé mais personne n’a répondu.',
  failed_callee: 'Désolé, {name} n’a pas pu prendre l’appel. Veuillez réessayer plus tard.',
  failed: 'Désolé, l’appel n’a pas pu aboutir.',
  expired: 'Désolé, nous n’avons pas pu vous rappeler à temps.',
  canceled: 'Votre demande de rappel est annulée.',
  cancel: 'Annuler ce rappel',
  again: 'Nouvelle demande',
};

const DICTS: Record<string, Dict> = { en, fr };

/** The skin's language wins, then the page's `<html lang>`, then the browser's, then English. */
export function pickLanguage(candidates: readonly (string | null | undefined)[]): string {
  for (const c of candidates) {
    const base = (c ?? '').toLowerCase().split(/[-_]/)[0]!;
    if (base in DICTS) return base;
  }
  return 'en';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: string): Translate {
  const dict = DICTS[lang] ?? en;
  return (key, vars) => dict[key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars?.[k] ?? ''));
}
