import type { Language } from '../i18n.ts';

/**
 * The call panel's words, in every language the widget speaks (i18n.ts LANGUAGES). Kept apart from the widget's
 * own dictionary: only the lazily loaded call chunk needs them, so the widget's first load does not carry them.
 * `phase_<phase>` and `end_<reason>` follow call-state.ts.
 */
const en = {
  phase_requesting: 'Starting your call…',
  phase_microphone: 'Please allow the microphone so you can talk to {name}.',
  phase_connecting: 'Connecting your call…',
  phase_ringing: 'Calling {name}… please hold.',
  phase_connected: 'Connected with {name}.',
  end_local: 'You hung up. The call has ended.',
  end_remote: '{name} ended the call. Thank you!',
  end_busy: 'The line is busy. Please try again in a few minutes.',
  end_noanswer: 'Nobody answered. Please try again later or ask for a call-back.',
  end_callee: 'Sorry, {name} could not take the call. Please try again later.',
  end_closed: '{name} is closed right now. Ask for a call-back instead.',
  end_limited: 'Too many calls from here. Please try again later.',
  end_unavailable: 'Calls from the browser are not available right now.',
  end_refused: 'The call could not be started. Please try again.',
  end_microphone: 'The call needs your microphone. Allow it in your browser (the icon in the address bar) and try again.',
  end_nomic: 'No microphone was found. Connect one and try again, or ask for a call-back.',
  end_network: 'We could not reach the call service. Please check your connection and try again.',
  end_failed: 'Sorry, the call could not be made.',
  hangup: 'Hang up',
  mute: 'Mute microphone',
  back: 'Back to the form',
  talkTime: 'Call duration',
} as const;

export type CallKey = keyof typeof en;
type CallDict = Record<CallKey, string>;

const fr: CallDict = {
  phase_requesting: 'Préparation de votre appel…',
  phase_microphone: 'Autorisez le micro pour parler avec {name}.',
  phase_connecting: 'Connexion de votre appel…',
  phase_ringing: 'Appel de {name} en cours… veuillez patienter.',
  phase_connected: 'En ligne avec {name}.',
  end_local: 'Vous avez raccroché. L’appel est terminé.',
  end_remote: '{name} a mis fin à l’appel. Merci !',
  end_busy: 'La ligne est occupée. Veuillez réessayer dans quelques minutes.',
  end_noanswer: 'Personne n’a répondu. Réessayez plus tard ou demandez à être rappelé.',
  end_callee: 'Désolé, {name} n’a pas pu prendre l’appel. Veuillez réessayer plus tard.',
  end_closed: '{name} est fermé pour le moment. Demandez plutôt à être rappelé.',
  end_limited: 'Trop d’appels depuis ce poste. Veuillez réessayer plus tard.',
  end_unavailable: 'Les appels depuis le navigateur ne sont pas disponibles pour le moment.',
  end_refused: 'L’appel n’a pas pu démarrer. Veuillez réessayer.',
  end_microphone: 'L’appel a besoin de votre micro. Autorisez-le dans votre navigateur (l’icône dans la barre d’adresse) puis réessayez.',
  end_nomic: 'Aucun micro trouvé. Branchez-en un et réessayez, ou demandez à être rappelé.',
  end_network: 'Le service d’appel est injoignable. Vérifiez votre connexion et réessayez.',
  end_failed: 'Désolé, l’appel n’a pas pu être établi.',
  hangup: 'Raccrocher',
  mute: 'Couper le micro',
  back: 'Retour au formulaire',
  talkTime: 'Durée de l’appel',
};

const de: CallDict = {
  phase_requesting: 'Ihr Anruf wird vorbereitet…',
  phase_microphone: 'Bitte erlauben Sie das Mikrofon, um mit {name} zu sprechen.',
  phase_connecting: 'Ihr Anruf wird verbunden…',
  phase_ringing: 'Wir rufen {name} an… bitte warten Sie.',
  phase_connected: 'Verbunden mit {name}.',
  end_local: 'Sie haben aufgelegt. Der Anruf ist beendet.',
  end_remote: '{name} hat den Anruf beendet. Vielen Dank!',
  end_busy: 'Die Leitung ist besetzt. Bitte versuchen Sie es in einigen Minuten erneut.',
  end_noanswer: 'Niemand hat abgenommen. Bitte versuchen Sie es später erneut oder bitten Sie um Rückruf.',
  end_callee: 'Leider konnte {name} den Anruf nicht annehmen. Bitte versuchen Sie es später erneut.',
  end_closed: '{name} hat gerade geschlossen. Bitten Sie stattdessen um einen Rückruf.',
  end_limited: 'Zu viele Anrufe von hier. Bitte versuchen Sie es später erneut.',
  end_unavailable: 'Anrufe aus dem Browser sind gerade nicht möglich.',
  end_refused: 'Der Anruf konnte nicht gestartet werden. Bitte versuchen Sie es erneut.',
  end_microphone: 'Für den Anruf wird Ihr Mikrofon benötigt. Erlauben Sie es im Browser (Symbol in der Adressleiste) und versuchen Sie es erneut.',
  end_nomic: 'Kein Mikrofon gefunden. Schließen Sie eines an und versuchen Sie es erneut, oder bitten Sie um Rückruf.',
  end_network: 'Der Anrufdienst ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
  end_failed: 'Leider konnte der Anruf nicht hergestellt werden.',
  hangup: 'Auflegen',
  mute: 'Mikrofon stummschalten',
  back: 'Zurück zum Formular',
  talkTime: 'Gesprächsdauer',
};

const es: CallDict = {
  phase_requesting: 'Preparando su llamada…',
  phase_microphone: 'Permita el micrófono para hablar con {name}.',
  phase_connecting: 'Conectando su llamada…',
  phase_ringing: 'Llamando a {name}… por favor espere.',
  phase_connected: 'Conectado con {name}.',
  end_local: 'Ha colgado. La llamada ha terminado.',
  end_remote: '{name} ha terminado la llamada. ¡Gracias!',
  end_busy: 'La línea está ocupada. Inténtelo de nuevo en unos minutos.',
  end_noanswer: 'Nadie ha contestado. Inténtelo más tarde o pida que le llamemos.',
  end_callee: 'Lo sentimos, {name} no ha podido atender la llamada. Inténtelo más tarde.',
  end_closed: '{name} está cerrado ahora. Pida mejor que le llamemos.',
  end_limited: 'Demasiadas llamadas desde aquí. Inténtelo más tarde.',
  end_unavailable: 'Las llamadas desde el navegador no están disponibles ahora.',
  end_refused: 'No se ha podido iniciar la llamada. Inténtelo de nuevo.',
  end_microphone: 'La llamada necesita su micrófono. Permítalo en el navegador (el icono de la barra de direcciones) e inténtelo de nuevo.',
  end_nomic: 'No se ha encontrado ningún micrófono. Conecte uno e inténtelo de nuevo, o pida que le llamemos.',
  end_network: 'No hemos podido contactar con el servicio de llamadas. Compruebe su conexión e inténtelo de nuevo.',
  end_failed: 'Lo sentimos, no se ha podido realizar la llamada.',
  hangup: 'Colgar',
  mute: 'Silenciar el micrófono',
  back: 'Volver al formulario',
  talkTime: 'Duración de la llamada',
};

const it: CallDict = {
  phase_requesting: 'Stiamo preparando la chiamata…',
  phase_microphone: 'Consenta l’uso del microfono per parlare con {name}.',
  phase_connecting: 'Collegamento della chiamata…',
  phase_ringing: 'Chiamata a {name} in corso… attenda, per favore.',
  phase_connected: 'In linea con {name}.',
  end_local: 'Ha riagganciato. La chiamata è terminata.',
  end_remote: '{name} ha chiuso la chiamata. Grazie!',
  end_busy: 'La linea è occupata. Riprovi tra qualche minuto.',
  end_noanswer: 'Nessuno ha risposto. Riprovi più tardi o chieda di essere richiamato.',
  end_callee: 'Spiacenti, {name} non ha potuto rispondere. Riprovi più tardi.',
  end_closed: '{name} è chiuso in questo momento. Chieda piuttosto di essere richiamato.',
  end_limited: 'Troppe chiamate da qui. Riprovi più tardi.',
  end_unavailable: 'Le chiamate dal browser non sono disponibili in questo momento.',
  end_refused: 'Non è stato possibile avviare la chiamata. Riprovi.',
  end_microphone: 'La chiamata richiede il microfono. Lo consenta nel browser (l’icona nella barra degli indirizzi) e riprovi.',
  end_nomic: 'Nessun microfono trovato. Ne colleghi uno e riprovi, oppure chieda di essere richiamato.',
  end_network: 'Il servizio di chiamata non è raggiungibile. Controlli la connessione e riprovi.',
  end_failed: 'Spiacenti, non è stato possibile effettuare la chiamata.',
  hangup: 'Riaggancia',
  mute: 'Disattiva il microfono',
  back: 'Torna al modulo',
  talkTime: 'Durata della chiamata',
};

const nl: CallDict = {
  phase_requesting: 'Uw gesprek wordt voorbereid…',
  phase_microphone: 'Sta de microfoon toe om met {name} te praten.',
  phase_connecting: 'Uw gesprek wordt verbonden…',
  phase_ringing: 'We bellen {name}… een ogenblik geduld.',
  phase_connected: 'Verbonden met {name}.',
  end_local: 'U hebt opgehangen. Het gesprek is beëindigd.',
  end_remote: '{name} heeft het gesprek beëindigd. Bedankt!',
  end_busy: 'De lijn is bezet. Probeer het over een paar minuten opnieuw.',
  end_noanswer: 'Niemand nam op. Probeer het later opnieuw of vraag om teruggebeld te worden.',
  end_callee: 'Sorry, {name} kon het gesprek niet aannemen. Probeer het later opnieuw.',
  end_closed: '{name} is nu gesloten. Vraag liever om teruggebeld te worden.',
  end_limited: 'Te veel gesprekken vanaf hier. Probeer het later opnieuw.',
  end_unavailable: 'Bellen vanuit de browser is nu niet mogelijk.',
  end_refused: 'Het gesprek kon niet starten. Probeer het opnieuw.',
  end_microphone: 'Voor het gesprek is uw microfoon nodig. Sta die toe in uw browser (het pictogram in de adresbalk) en probeer het opnieuw.',
  end_nomic: 'Geen microfoon gevonden. Sluit er een aan en probeer het opnieuw, of vraag om teruggebeld te worden.',
  end_network: 'De beldienst is niet bereikbaar. Controleer uw verbinding en probeer het opnieuw.',
  end_failed: 'Sorry, het gesprek kon niet tot stand komen.',
  hangup: 'Ophangen',
  mute: 'Microfoon dempen',
  back: 'Terug naar het formulier',
  talkTime: 'Gespreksduur',
};

const pt: CallDict = {
  phase_requesting: 'Preparando sua chamada…',
  phase_microphone: 'Permita o microfone para falar com {name}.',
  phase_connecting: 'Conectando sua chamada…',
  phase_ringing: 'Chamando {name}… aguarde, por favor.',
  phase_connected: 'Conectado com {name}.',
  end_local: 'Você desligou. A chamada terminou.',
  end_remote: '{name} encerrou a chamada. Obrigado!',
  end_busy: 'A linha está ocupada. Tente novamente em alguns minutos.',
  end_noanswer: 'Ninguém atendeu. Tente mais tarde ou peça um retorno.',
  end_callee: 'Desculpe, {name} não pôde atender a chamada. Tente novamente mais tarde.',
  end_closed: '{name} está fechado agora. Peça um retorno em vez disso.',
  end_limited: 'Muitas chamadas daqui. Tente novamente mais tarde.',
  end_unavailable: 'Chamadas pelo navegador não estão disponíveis agora.',
  end_refused: 'Não foi possível iniciar a chamada. Tente novamente.',
  end_microphone: 'A chamada precisa do seu microfone. Permita-o no navegador (o ícone na barra de endereço) e tente novamente.',
  end_nomic: 'Nenhum microfone encontrado. Conecte um e tente novamente, ou peça um retorno.',
  end_network: 'Não foi possível contatar o serviço de chamadas. Verifique sua conexão e tente novamente.',
  end_failed: 'Desculpe, não foi possível fazer a chamada.',
  hangup: 'Desligar',
  mute: 'Silenciar o microfone',
  back: 'Voltar ao formulário',
  talkTime: 'Duração da chamada',
};

export const CALL_DICTS: Record<Language, CallDict> = { en, fr, de, es, it, nl, pt };

export type CallTranslate = (key: CallKey, vars?: Record<string, string | number>) => string;

export function callTranslator(lang: string): CallTranslate {
  const dict = (CALL_DICTS as Record<string, CallDict>)[lang] ?? en;
  return (key, vars) => dict[key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars?.[k] ?? ''));
}
