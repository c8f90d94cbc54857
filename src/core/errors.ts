/**
 * Expected failures of the domain. Each has a stable `code` that adapters map to what a person sees
 * (an ephemeral Slack message, an HTTP status), a `context` that says which task, who and what, and a
 * `message` that reads as a plain sentence on any surface: no Slack or HTML syntax. A surface that shows
 * people its own way (a Slack mention) renders `parts`, the same sentence with its people left open.
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
  'SCHEDULE_NOT_FOUND',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Which task, who and what a failure is about: what a surface, a log line or an API client may act on. */
export interface ErrorContext {
  readonly taskId?: string;
  readonly status?: string;
  /** What was asked: a lifecycle action (`claim`, `assign`) or, for a refusal of RBAC, the permission. */
  readonly action?: string;
  /** The person who asked. */
  readonly user?: string;
  readonly role?: string;
  /** Who holds the task (its assignee), when that is the reason. */
  readonly holder?: string | null;
  /** Who already did what cannot be done twice (resolved it, acknowledged it), and when. */
  readonly by?: string | null;
  readonly at?: string | null;
  /** The open task of the same alert, which blocks a reopen. */
  readonly openTaskId?: string;
  /** The task's version now, when the one the caller saw is not it (VERSION_CONFLICT). */
  readonly version?: number;
  /** What the person typed, when that is what is wrong. */
  readonly input?: string;
}

/** Someone a sentence names: a Slack user id, a source's name (`alertmanager`), or nobody known. */
export interface Person {
  readonly person: string | null;
}
export type MessagePart = string | Person;

export const person = (id: string | null | undefined): Person => ({ person: id ?? null });

/** A person in plain text: their id or name as it is (each surface may do better). */
export const plainPerson = (p: Person): string => p.person ?? 'someone';

/** A sentence with people in it: ``sentence`${id} is already claimed by ${person(u)}` ``. */
export function sentence(
  strings: TemplateStringsArray,
  ...values: (string | number | Person)[]
): MessagePart[] {
  const parts: MessagePart[] = [];
  strings.forEach((text, i) => {
    if (text) parts.push(text);
    const value = values[i];
    if (value === undefined) return;
    parts.push(typeof value === 'object' ? value : String(value));
  });
  return parts;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  /** The message in parts, its people left for the surface to show; `message` is them in plain text. */
  readonly parts: readonly MessagePart[];

  constructor(
    code: ErrorCode,
    message: string | readonly MessagePart[],
    context: ErrorContext = {},
    options: { cause?: unknown } = {},
  ) {
    const parts = typeof message === 'string' ? [message] : message;
    super(parts.map((p) => (typeof p === 'string' ? p : plainPerson(p))).join(''), options);
    this.code = code;
    this.context = context;
    this.parts = parts;
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
