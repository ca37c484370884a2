import type { Language } from '../i18n.ts';

/**
 * The chat panel's words, in every language the widget speaks (i18n.ts LANGUAGES). Kept apart from the widget's
 * own dictionary: only the lazily loaded chat chunk needs them. The service center's system lines come from the
 * server as they are.
 */
const en = {
  messages: 'Messages',
  you: 'You',
  team: 'Team',
  yourMessage: 'Your message',
  send: 'Send',
  end: 'End chat',
  back: 'Back',
  callNow: 'Call now',
  ended: 'This conversation has ended.',
  lost: 'The connection was lost.',
  empty: 'Write a message first.',
  failed: 'Something went wrong. Try again.',
} as const;

export type ChatKey = keyof typeof en;
type ChatDict = Record<ChatKey, string>;

const fr: ChatDict = {
  messages: 'Messages', you: 'Vous', team: 'Équipe', yourMessage: 'Votre message', send: 'Envoyer', end: 'Terminer', back: 'Retour',
  callNow: 'Appeler maintenant', ended: 'Cette conversation est terminée.', lost: 'La connexion a été perdue.',
  empty: "Écrivez d'abord un message.", failed: 'Un problème est survenu. Réessayez.',
};
const de: ChatDict = {
  messages: 'Nachrichten', you: 'Sie', team: 'Team', yourMessage: 'Ihre Nachricht', send: 'Senden', end: 'Chat beenden', back: 'Zurück',
  callNow: 'Jetzt anrufen', ended: 'Dieses Gespräch ist beendet.', lost: 'Die Verbindung wurde unterbrochen.',
  empty: 'Schreiben Sie zuerst eine Nachricht.', failed: 'Etwas ist schiefgegangen. Bitte erneut versuchen.',
};
const es: ChatDict = {
  messages: 'Mensajes', you: 'Usted', team: 'Equipo', yourMessage: 'Su mensaje', send: 'Enviar', end: 'Terminar', back: 'Volver',
  callNow: 'Llamar ahora', ended: 'Esta conversación ha terminado.', lost: 'Se perdió la conexión.',
  empty: 'Escriba primero un mensaje.', failed: 'Algo salió mal. Inténtelo de nuevo.',
};
const it: ChatDict = {
  messages: 'Messaggi', you: 'Tu', team: 'Team', yourMessage: 'Il tuo messaggio', send: 'Invia', end: 'Termina chat', back: 'Indietro',
  callNow: 'Chiama ora', ended: 'Questa conversazione è terminata.', lost: 'La connessione si è interrotta.',
  empty: 'Scrivi prima un messaggio.', failed: 'Qualcosa è andato storto. Riprova.',
};
const nl: ChatDict = {
  messages: 'Berichten', you: 'U', team: 'Team', yourMessage: 'Uw bericht', send: 'Versturen', end: 'Chat beëindigen', back: 'Terug',
  callNow: 'Nu bellen', ended: 'Dit gesprek is beëindigd.', lost: 'De verbinding is verbroken.',
  empty: 'Schrijf eerst een bericht.', failed: 'Er ging iets mis. Probeer het opnieuw.',
};
const pt: ChatDict = {
  messages: 'Mensagens', you: 'Você', team: 'Equipa', yourMessage: 'A sua mensagem', send: 'Enviar', end: 'Terminar', back: 'Voltar',
  callNow: 'Ligar agora', ended: 'Esta conversa terminou.', lost: 'A ligação perdeu-se.',
  empty: 'Escreva primeiro uma mensagem.', failed: 'Algo correu mal. Tente novamente.',
};

export const CHAT_DICTS: Record<Language, ChatDict> = { en, fr, de, es, it, nl, pt };

export function chatTranslator(lang: string): (key: ChatKey) => string {
  const dict = (CHAT_DICTS as Record<string, ChatDict>)[lang] ?? en;
  return (key) => dict[key];
}
