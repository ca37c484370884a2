/** A refusal the REST layer turns into `status` with `body` as JSON, the way Asterisk words it. */
export class AriError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? body.error ?? status));
  }
}

export const notFound = (what: 'Channel' | 'Bridge' | 'Playback' | 'Endpoint' | 'Application') =>
  new AriError(404, { message: `${what} not found` });

export const notInStasis = () => new AriError(409, { message: 'Channel not in Stasis application' });
