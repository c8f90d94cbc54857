import { Alert } from '../core/alert.js';
import { cut } from '../core/bounds.js';
import type { Priority } from '../core/task.js';
import { ago } from '../core/time.js';
import type { Deps } from '../core/use-cases/deps.js';
import { type IngestOutcome, ingestAlert } from '../core/use-cases/ingest-alert.js';
import { logger } from '../runtime/logger.js';

/** What a look at a dead-letter queue found. */
export interface DeadLetterLook {
  /** Messages in the queue, those in flight (being peeked at or moved) included. */
  readonly depth: number;
  /** Why the first message it peeked at failed, when the message says. */
  readonly firstError?: string;
  /** When the oldest message it peeked at was first sent (ISO 8601). */
  readonly oldestAt?: string;
}

/**
 * A dead-letter queue the monitor watches: where the ingest queue, the stream consumers and the asynchronous
 * invocations put what they gave up on (src/adapters/aws/sqs-dead-letters.ts on AWS, the local queues on
 * `npm start`).
 */
export interface DeadLetterQueue {
  /** Short: 'ingest', 'cards-stream', 'aggregator-stream', 'bot-jobs', 'aws-events'. */
  readonly name: string;
  /** A sentence: what lands there. */
  readonly holds: string;
  /** How to redrive it (a command line). */
  readonly redrive: string;
  /** P2 unless the queue says otherwise (the ingest queue's are alerts nobody has seen: P1). */
  readonly priority?: Priority;
  look(): Promise<DeadLetterLook>;
}

export interface DeadLetterWatch {
  readonly name: string;
  /** Absent when the queue could not be looked at. */
  readonly depth?: number;
  /** What its task became (`ignored`: nothing changed), or `failed`: the queue was not looked at or not told. */
  readonly result: IngestOutcome['result'] | 'failed';
  readonly taskId?: string | null;
  readonly error?: string;
}

export const deadLetterFingerprint = (name: string): string => `tms:dead-letters:${name}`;

/**
 * Looks at each dead-letter queue and keeps one task per queue that holds anything, through the same ingest use
 * case as any alert (so dedup, reopening and the card are those of every task): a queue that has messages
 * opens its task once, a change of its depth is an occurrence that says the new count, and an empty queue
 * resolves it. A queue that cannot be looked at is logged and its task left as it is: an error never resolves
 * anything, and never keeps the other queues from being looked at.
 */
export async function watchDeadLetters(
  deps: Deps,
  queues: readonly DeadLetterQueue[],
  now: Date,
): Promise<DeadLetterWatch[]> {
  return Promise.all(queues.map((queue) => watchOne(deps, queue, now)));
}

async function watchOne(deps: Deps, queue: DeadLetterQueue, now: Date): Promise<DeadLetterWatch> {
  let look: DeadLetterLook;
  try {
    look = await queue.look();
  } catch (error) {
    logger.error('could not look at a dead-letter queue; its task is left as it is', {
      queue: queue.name,
      error,
    });
    return { name: queue.name, result: 'failed', error: errorText(error) };
  }
  try {
    const alert =
      look.depth > 0
        ? deadLettersAlert(queue, look, now, await episodeOf(deps, queue.name, now))
        : emptyAgainAlert(queue, now);
    const outcome = await ingestAlert(deps, alert);
    if (outcome.result !== 'ignored')
      logger.info('dead-letter queue task', { queue: queue.name, depth: look.depth, ...outcome });
    return { name: queue.name, depth: look.depth, result: outcome.result, taskId: outcome.taskId };
  } catch (error) {
    logger.error('could not record what a dead-letter queue holds; the next look tries again', {
      queue: queue.name,
      depth: look.depth,
      error,
    });
    return { name: queue.name, depth: look.depth, result: 'failed', error: errorText(error) };
  }
}

/**
 * The occurrence key is `<episode>#<depth>`: the same depth is the same occurrence (counted once, however
 * often it is looked at), another depth is a new one. The episode is when the open task's queue was first
 * seen holding messages, kept in its key; with no open task a new episode starts now, so a queue that fills
 * again after its task was resolved is never taken for a late copy of the resolved occurrence.
 */
async function episodeOf(deps: Deps, name: string, now: Date): Promise<string> {
  const record = await deps.store.fingerprint(deadLetterFingerprint(name));
  const open = record?.openTaskId ? await deps.store.get(record.openTaskId) : undefined;
  const key = open && open.status !== 'resolved' ? open.occurrenceKey : undefined;
  const hash = key?.lastIndexOf('#') ?? -1;
  return key && hash > 0 ? key.slice(0, hash) : now.toISOString();
}

const messages = (n: number) => `${n} message${n === 1 ? '' : 's'}`;

/** One line of what a message said, bounded: it is the sender's text (the card escapes it). */
const oneLine = (text: string, max: number) => cut(text.replace(/\s+/g, ' ').trim(), max);

function deadLettersAlert(queue: DeadLetterQueue, look: DeadLetterLook, now: Date, episode: string): Alert {
  const count = messages(look.depth);
  const oldest = look.oldestAt
    ? `; the oldest was sent ${look.oldestAt.slice(0, 19).replace('T', ' ')} UTC (${ago(look.oldestAt, now)})`
    : '';
  const firstError = look.firstError ? oneLine(look.firstError, 1_000) : undefined;
  return Alert.parse({
    source: 'tms',
    action: 'trigger',
    fingerprint: deadLetterFingerprint(queue.name),
    title: cut(`${count} in the ${queue.name} dead-letter queue`, 300),
    description: [
      `What failed: ${oneLine(queue.holds, 600)}`,
      `How many: ${count}${oldest}.`,
      `First error: ${firstError ?? 'the messages do not say (see the function’s logs)'}`,
      `Once the cause is fixed, redrive them: ${oneLine(queue.redrive, 1_000)}`,
      'Nothing in the queue is dropped: it stays there until it is redriven, and this task resolves itself once the queue is empty.',
    ].join('\n'),
    priority: queue.priority ?? 'P2',
    labels: { queue: queue.name },
    occurredAt: now.toISOString(),
    occurrenceKey: `${episode}#${look.depth}`,
    summary: cut(`${count} in the ${queue.name} dead-letter queue now`, 300),
    issueClass: 'dead-letters',
  });
}

function emptyAgainAlert(queue: DeadLetterQueue, now: Date): Alert {
  return Alert.parse({
    source: 'tms',
    action: 'resolve',
    fingerprint: deadLetterFingerprint(queue.name),
    title: `The ${queue.name} dead-letter queue is empty`,
    occurredAt: now.toISOString(),
    summary: `The ${queue.name} dead-letter queue is empty again.`,
  });
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
