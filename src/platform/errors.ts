/**
 * The one error type that reaches HTTP clients; anything else is logged and answered 500 without details.
 * The error handler answers `{"error": {code, message, fields?, ...extra}}` with `status`, so the classes below
 * fix only the status: the code and message a client sees are the caller's. A refusal given with the same words
 * by more than one feature is defined once here; one repeated inside a single feature is named in that feature.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldError[],
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface FieldError { field: string; code: string; message: string }

/** Code, message and the one field they concern, as constructor arguments: `new ConflictError(...onField(…))`. */
export const onField = (field: string, code: string, message: string): [string, string, FieldError[]] => [code, message, [{ field, code, message }]];

/** 400: the request itself is wrong; `code` says how, `extra` what the client could send instead. */
export class BadRequestError extends AppError {
  constructor(code: string, message: string, fields?: FieldError[], extra?: Record<string, unknown>) { super(400, code, message, fields, extra); }
}

/** 400 validation_failed: one entry per wrong field; the message joins theirs. */
export class ValidationError extends AppError {
  constructor(fields: FieldError[]) {
    super(400, 'validation_failed', fields.map((f) => f.message).join(' '), fields);
  }

  /** One `invalid` entry per schema issue, named by its top-level field (`whole` for the object itself). */
  static fromIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], whole: string): ValidationError {
    return new ValidationError(issues.map((i) => ({ field: String(i.path[0] ?? whole), code: 'invalid', message: i.message })));
  }
}

/** 401: the client is not known (no session, no credential). */
export class UnauthorizedError extends AppError {
  constructor(code: string, message: string) { super(401, code, message); }
}

/** 403: the client is known, or its origin is, and may not do this. */
export class ForbiddenError extends AppError {
  constructor(code: string, message: string, fields?: FieldError[]) { super(403, code, message, fields); }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string) { super(404, code, message); }
}

/** 409: the request is well formed but contradicts the current state (taken, finished, changed meanwhile). */
export class ConflictError extends AppError {
  constructor(code: string, message: string, fields?: FieldError[]) { super(409, code, message, fields); }
}

/** 422: well formed and consistent, but a check against the outside world failed. */
export class UnprocessableError extends AppError {
  constructor(code: string, message: string, fields?: FieldError[]) { super(422, code, message, fields); }
}

/** 429: a limit was reached; `retry` tells the client when to come back and is answered beside code and message. */
export class TooManyRequestsError extends AppError {
  constructor(code: string, message: string, retry: { retryAfter: number } | { retryAfterSec: number }) {
    super(429, code, message, undefined, retry);
  }

  /** The limit frees up in `ms` milliseconds: answered as retryAfterSec, in whole seconds, at least 1. */
  static after(code: string, message: string, ms: number): TooManyRequestsError {
    return new TooManyRequestsError(code, message, { retryAfterSec: Math.max(1, Math.ceil(ms / 1000)) });
  }
}

/** 501: the HTTP method is not one this server implements. */
export class NotImplementedError extends AppError {
  constructor(code: string, message: string) { super(501, code, message); }
}

/**
 * 503: a dependency (PostgreSQL, the worker, the exchange) is unreachable: clients retry, never a half-done 500.
 * The error handler adds `Retry-After` to every 503.
 */
export class UnavailableError extends AppError {
  constructor(message = 'The call-back service is temporarily unavailable. Please try again in a minute.', code = 'service_unavailable') {
    super(503, code, message);
  }
}

/** The one refusal of every page and API that needs a logged-in portal user, operator or agent. */
export class LoginRequiredError extends UnauthorizedError {
  constructor() { super('login_required', 'Please log in.'); }
}

/** A form whose token does not match the session: stale page or a forged post. */
export class CsrfError extends ForbiddenError {
  constructor() { super('csrf_failed', 'This form has expired. Reload the page and try again.'); }
}

/** A refusal with code subscriber_not_found; the message depends on how the subscriber was named. */
export class SubscriberNotFoundError extends NotFoundError {
  constructor(message = 'No such subscriber.') { super('subscriber_not_found', message); }
  /** The subscriber a widget, a form or the API named by its slug does not exist. */
  static named(slug: string): SubscriberNotFoundError { return new SubscriberNotFoundError(`No subscriber named "${slug}".`); }
}

/** The subscriber is suspended: its widget, its page and the API take no requests for it. */
export class SubscriberSuspendedError extends ForbiddenError {
  constructor() { super('subscriber_suspended', 'This call-back service is not available at the moment.'); }
}

/** No call-back request matches; `by` says what the client gave, so a wrong token reads like a wrong id. */
export class CallbackNotFoundError extends NotFoundError {
  constructor(by: 'id' | 'id and token' = 'id') { super('callback_not_found', `No call-back request with that ${by}.`); }
}

export class DepartmentNotFoundError extends NotFoundError {
  constructor(message = 'No such department.') { super('department_not_found', message); }
}

export class VerificationNotFoundError extends NotFoundError {
  constructor() { super('verification_not_found', 'No such verification.'); }
}
