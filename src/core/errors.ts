/**
 * Expected failures of the domain. Each has a stable `code` that adapters map to what a person sees
 * (an ephemeral Slack message, an HTTP status) and a `message` that already reads as a sentence.
 */
export const ERROR_CODES = [
  'TASK_NOT_FOUND',
  'TASK_ALREADY_RESOLVED',
  'TASK_ALREADY_ACKNOWLEDGED',
  'TASK_ALREADY_IN_PROGRESS',
  'TASK_ALREADY_CLAIMED',
  'TASK_NOT_RESOLVED',
  'TASK_ALREADY_ASSIGNED',
  'FINGERPRINT_ALREADY_OPEN',
  'VERSION_CONFLICT',
  'NO_CHANGE',
  'NOT_ALLOWED',
  'INVALID_INPUT',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.context = context;
  }
}

/**
 * A fault that may pass (throttling, a store or Slack briefly unavailable, contention that outlasted its
 * retries). Entry points answer it as retryable (HTTP 503, a Lambda retry); nothing was half-done.
 */
export class TransientError extends Error {
  override readonly name: string = 'TransientError';
  readonly context: Readonly<Record<string, unknown>>;
  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.context = options.context ?? {};
  }
}

/** A configuration file that does not validate: `issues` name each bad key and its line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(
      `${source} is not valid:\n${issues.map((i) => `  - ${i.path || '(top level)'}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`).join('\n')}`,
    );
    this.issues = issues;
  }
}

export interface ConfigIssue {
  /** Dotted key path, such as `sla.P1.ack`. */
  readonly path: string;
  /** 1-based line in the file, when the key is in it. */
  readonly line: number | undefined;
  readonly message: string;
}
