import type { ScheduledEvent } from 'aws-lambda';
import * as z from 'zod';
import { createSqsClient, SqsDeadLetterQueue } from '../adapters/aws/sqs-dead-letters.js';
import { Priority } from '../core/task.js';
import type { Deps } from '../core/use-cases/deps.js';
import { type DeadLetterQueue, type DeadLetterWatch, watchDeadLetters } from '../jobs/dead-letters.js';
import { buildDeps, type Env } from '../runtime/deps.js';
import type { Secrets } from '../runtime/secrets.js';

/** `TMS_DEAD_LETTER_QUEUES` does not say which queues to watch: the function refuses to start. */
export class DeadLetterSettingsError extends Error {
  override readonly name = 'DeadLetterSettingsError';
}

/** Some queues could not be looked at: the invocation fails, so the function's error alarm says the monitor is blind. */
export class DeadLetterWatchError extends Error {
  override readonly name = 'DeadLetterWatchError';
  constructor(readonly watched: readonly DeadLetterWatch[]) {
    const failed = watched.filter((w) => w.result === 'failed');
    super(
      `${failed.length} of ${watched.length} dead-letter queues were not watched: ${failed.map((w) => `${w.name} (${w.error})`).join('; ')}`,
    );
  }
}

const QueueSettings = z.array(
  z.strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a short lower-case name such as ingest or cards-stream'),
    url: z.url({ protocol: /^https?$/ }),
    holds: z.string().min(1).max(600),
    redrive: z.string().min(1).max(1_000),
    priority: Priority.optional(),
  }),
);

const EXAMPLE =
  '[{"name":"ingest","url":"https://sqs.<region>.amazonaws.com/<account>/<queue>","holds":"…","redrive":"…"}]';

/** The queues `TMS_DEAD_LETTER_QUEUES` names (set by the CDK stack), or a DeadLetterSettingsError saying what is wrong. */
export function parseDeadLetterQueues(text: string | undefined) {
  const name = 'TMS_DEAD_LETTER_QUEUES';
  if (!text?.trim())
    throw new DeadLetterSettingsError(
      `${name} is not set: the dead-letter monitor watches the queues it names, ${EXAMPLE}`,
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DeadLetterSettingsError(
      `${name} is not JSON (${(error as Error).message}); it should read ${EXAMPLE}`,
    );
  }
  const parsed = QueueSettings.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'the value'}: ${i.message}`);
    throw new DeadLetterSettingsError(
      `${name} is not a list of queues such as ${EXAMPLE}: ${issues.join('; ')}`,
    );
  }
  const names = parsed.data.map((q) => q.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0)
    throw new DeadLetterSettingsError(`${name} names ${[...new Set(twice)].join(', ')} more than once`);
  return parsed.data;
}

/** The five-minute schedule (EventBridge on AWS, the tick locally): every dead-letter queue looked at once. */
export const makeDeadLetterHandler = (deps: Deps, queues: readonly DeadLetterQueue[]) =>
  async function handler(_event?: Partial<ScheduledEvent>): Promise<DeadLetterWatch[]> {
    const watched = await watchDeadLetters(deps, queues, deps.clock.now());
    if (watched.some((w) => w.result === 'failed')) throw new DeadLetterWatchError(watched);
    return watched;
  };

/**
 * An ingest message's last error, kept with its archived delivery. Reading it reads the delivery, whose body a
 * large one keeps in chunks (a query of its partition): TABLE_ACCESS.deadLetters in infra/stack.ts grants both.
 */
export const archivedError =
  (store: Pick<Deps['store'], 'getRaw'>) =>
  async (source: string, deliveryId: string): Promise<string | undefined> =>
    (await store.getRaw(source, deliveryId))?.lastError;

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export function fromEnvironment(env: Env, secrets: Secrets) {
  const settings = parseDeadLetterQueues(env.TMS_DEAD_LETTER_QUEUES);
  const deps = buildDeps(env, { secrets });
  const sqs = createSqsClient();
  const archived = archivedError(deps.store);
  return makeDeadLetterHandler(
    deps,
    settings.map((queue) => new SqsDeadLetterQueue(sqs, queue, archived)),
  );
}
