/** The one error type that reaches HTTP clients; anything else is logged and answered 500 without details. */
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

export class ValidationError extends AppError {
  constructor(fields: FieldError[]) {
    super(400, 'validation_failed', fields.map((f) => f.message).join(' '), fields);
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string) { super(404, code, message); }
}

/** A dependency (PostgreSQL) is unreachable: answer 503 so clients retry, never a half-done 500. */
export class UnavailableError extends AppError {
  constructor(message: string) { super(503, 'service_unavailable', message); }
}
