// ari-client 2.2.0 ships no types; its methods are built at run time from Asterisk's Swagger docs.
declare module 'ari-client' {
  const ari: { connect(url: string, user: string, password: string): Promise<any> };
  export default ari;
}
declare module 'asterisk-manager' {
  const AsteriskManager: any;
  export default AsteriskManager;
}
