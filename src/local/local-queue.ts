import { createHash, randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import type { IngestOutcome } from '../core/use-cases/ingest-alert.js';
import { type AlertQueue, type AwaitOutcomes, encodeMessage, type IngestMessage } from '../ingest/queue.js';

/**
 * SQS as far as the ingest processor needs it, the way the stream feed plays DynamoDB Streams: messages are
 * handed to the very Lambda handler AWS invokes, as real-shaped `SQSEvent`s (held to
 * test/fixtures/aws/sqs-event.json) of up to ten records, a few batches at once (Lambda scales its pollers);
 * a record the handler names in `batchItemFailures` (or every record of a batch it throws on) is visible again
 * after the visibility timeout, its receive count kept; one received `maxReceiveCount` times that fails again
 * moves to the dead-letter queue, which keeps it with its last error until `redrive()` sends it back.
 *
 * Not SQS: no long polling, message attributes, FIFO, delays or retention; a message is not received twice at
 * once (a handler still running when its visibility timeout ends keeps it, as a Lambda whose timeout is well
 * inside the visibility timeout does). No SQS-compatible server runs here for SDK v3 (`sqslite` speaks only the
 * XML query protocol the current client no longer uses), so the processor is fed directly.
 */

const BATCH = 10;
const SENDER_ID = 'AROALOCALTMS00000000:tms-local';

interface Held {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  /** When it was sent (the stack's clock, ms). */
  readonly sentAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** The monotonic clock's time after which it may be received again (0: visible). */
  visibleAt: number;
  inFlight: boolean;
  lastError?: string;
}

/** A message as the monitor and a redrive see it. */
export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAt: string;
  readonly lastError?: string;
}

export type QueueHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export interface LocalQueueOptions {
  readonly name: string;
  readonly region: string;
  readonly visibilityTimeoutMs: number;
  /** Receives after which a message that fails again moves to `deadLetter` (SQS's redrive policy). */
  readonly maxReceiveCount: number;
  readonly deadLetter?: LocalQueue;
  /** Batches handed to the handler at once. */
  readonly concurrency?: number;
  /** Where its messages are kept across restarts (written whole on every change; for a small, rare queue). */
  readonly file?: string;
  /** The stack's clock, for the timestamps a record carries. */
  readonly now?: () => number;
  /** Milliseconds the visibility timeouts are counted on: `performance.now()` (tests: a clock they step). */
  readonly monotonic?: () => number;
}

const Kept = z.object({
  version: z.literal(1),
  messages: z.array(
    z.object({
      messageId: z.string(),
      body: z.string(),
      sentAt: z.number(),
      receiveCount: z.number().int().nonnegative(),
      lastError: z.string().optional(),
    }),
  ),
});

export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  private readonly messages = new Map<string, Held>();
  private handler?: QueueHandler;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private emptied: (() => void)[] = [];
  private closed = false;
  /** The queue whose dead-letter queue this is (where `redrive()` sends back). */
  private source?: LocalQueue;
  private readonly now: () => number;
  private readonly monotonic: () => number;

  constructor(private readonly options: LocalQueueOptions) {
    this.name = options.name;
    this.arn = `arn:aws:sqs:${options.region}:000000000000:${options.name}`;
    this.now = options.now ?? Date.now;
    this.monotonic = options.monotonic ?? (() => performance.now());
    if (options.deadLetter) options.deadLetter.source = this;
    if (options.file && existsSync(options.file)) this.load(options.file);
  }

  /** Hands its messages to `handler` from now on (an event source mapping). */
  consume(handler: QueueHandler): void {
    this.handler = handler;
    this.pump();
  }

  send(bodies: readonly string[]): string[] {
    const ids = bodies.map((body) =>
      this.add({ messageId: randomUUID(), body, sentAt: this.now(), receiveCount: 0 }),
    );
    this.changed();
    this.pump();
    return ids;
  }

  /** Every message it holds, visible or not (SQS's visible, not visible and delayed together). */
  depth(): number {
    return this.messages.size;
  }

  peek(limit = 10): PeekedMessage[] {
    return [...this.messages.values()].slice(0, limit).map((m) => ({
      messageId: m.messageId,
      body: m.body,
      receiveCount: m.receiveCount,
      sentAt: new Date(m.sentAt).toISOString(),
      ...(m.lastError !== undefined ? { lastError: m.lastError } : {}),
    }));
  }

  /** A handler's error for a record it failed (its batch response names no error): kept with the message. */
  failed(messageId: string, error: string): void {
    const message = this.messages.get(messageId);
    if (message) message.lastError = error.slice(0, 1000);
  }

  /**
   * On a dead-letter queue: every message sent back to its source queue, as SQS's message move task does (a new
   * message, received from zero). How many were moved.
   */
  async redrive(): Promise<number> {
    const target = this.source;
    if (!target) throw new Error(`${this.name} is no queue's dead-letter queue`);
    const moved = [...this.messages.values()];
    target.send(moved.map((m) => m.body));
    for (const m of moved) this.messages.delete(m.messageId);
    this.changed();
    return moved.length;
  }

  /** Resolves when nothing is in flight or visible (messages waiting out a visibility timeout may remain). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Resolves when it holds nothing: every message handled, or moved to the dead-letter queue (a failing one
   * waits out its visibility timeouts first).
   */
  settled(): Promise<void> {
    if (this.messages.size === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.emptied.push(resolve));
  }

  /** Stops receiving; what is in flight finishes. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    while (this.running > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    this.settle();
  }

  private add(kept: z.infer<typeof Kept>['messages'][number]): string {
    this.messages.set(kept.messageId, {
      ...kept,
      md5OfBody: createHash('md5').update(kept.body, 'utf8').digest('hex'),
      visibleAt: 0,
      inFlight: false,
    });
    return kept.messageId;
  }

  private isIdle(): boolean {
    if (this.running > 0) return false;
    if (!this.handler || this.closed) return true;
    const at = this.monotonic();
    return ![...this.messages.values()].some((m) => !m.inFlight && m.visibleAt <= at);
  }

  private settle(): void {
    if (this.messages.size === 0 || this.closed) {
      const emptied = this.emptied;
      this.emptied = [];
      for (const resolve of emptied) resolve();
    }
    if (!this.isIdle()) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }

  /**
   * Receives what is visible into batches while fewer than `concurrency` run; wakes again when the next is due.
   * The wake-up is timed from the very reading the last receive pass went by: read afresh, a message that became
   * visible in between (a timer fires up to a millisecond early, so its pass often lands just before) would be
   * neither received nor waited for, and stay in the queue until something else was sent.
   */
  private pump(): void {
    if (!this.handler || this.closed) {
      this.settle();
      return;
    }
    const concurrency = this.options.concurrency ?? 4;
    let at = this.monotonic();
    while (this.running < concurrency) {
      at = this.monotonic();
      const visible: Held[] = [];
      for (const m of this.messages.values()) {
        if (m.inFlight || m.visibleAt > at) continue;
        // Received as often as allowed, and failed again: SQS moves it on the receive after the last.
        if (m.receiveCount >= this.options.maxReceiveCount && this.options.deadLetter) {
          this.moveToDeadLetter(m);
          continue;
        }
        visible.push(m);
        if (visible.length === BATCH) break;
      }
      if (visible.length === 0) break;
      void this.deliver(visible);
    }
    this.wakeAtNextVisible(at);
    this.settle();
  }

  private moveToDeadLetter(message: Held): void {
    this.messages.delete(message.messageId);
    const dead = this.options.deadLetter as LocalQueue;
    dead.add({
      messageId: message.messageId,
      body: message.body,
      sentAt: message.sentAt,
      receiveCount: message.receiveCount,
      ...(message.lastError !== undefined ? { lastError: message.lastError } : {}),
    });
    dead.changed();
  }

  private async deliver(batch: Held[]): Promise<void> {
    this.running++;
    const now = this.now();
    const records = batch.map((m): SQSRecord => {
      m.inFlight = true;
      m.receiveCount++;
      m.firstReceiveAt ??= now;
      return this.record(m);
    });
    let failed: Set<string>;
    try {
      const response = await (this.handler as QueueHandler)({ Records: records });
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      failed = new Set(batch.map((m) => m.messageId));
      for (const m of batch) m.lastError = error instanceof Error ? error.message : String(error);
    }
    const visibleAt = this.monotonic() + this.options.visibilityTimeoutMs;
    for (const m of batch) {
      m.inFlight = false;
      if (failed.has(m.messageId)) m.visibleAt = visibleAt;
      else this.messages.delete(m.messageId); // DeleteMessage, as the event source mapping does
    }
    this.running--;
    this.pump();
  }

  private record(m: Held): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: Buffer.from(`${m.messageId}#${m.receiveCount}#${randomUUID()}`).toString('base64'),
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: SENDER_ID,
        ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt ?? m.sentAt),
      },
      messageAttributes: {},
      md5OfBody: m.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: this.options.region,
    };
  }

  /** A timer for the first message not visible at `at`; what was visible then is received or waits for a slot. */
  private wakeAtNextVisible(at: number): void {
    clearTimeout(this.timer);
    if (this.closed || !this.handler) return;
    let next = Number.POSITIVE_INFINITY;
    for (const m of this.messages.values())
      if (!m.inFlight && m.visibleAt > at) next = Math.min(next, m.visibleAt);
    if (next === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => this.pump(), Math.max(1, next - at));
    this.timer.unref();
  }

  /** Written whole, to a temporary file renamed over the old one (never half written), before it is answered. */
  private changed(): void {
    const file = this.options.file;
    if (!file) return;
    const kept = {
      version: 1,
      messages: [...this.messages.values()].map((m) => ({
        messageId: m.messageId,
        body: m.body,
        sentAt: m.sentAt,
        receiveCount: m.receiveCount,
        ...(m.lastError !== undefined ? { lastError: m.lastError } : {}),
      })),
    };
    const temporary = `${file}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify(kept));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  }

  private load(file: string): void {
    const kept = Kept.parse(JSON.parse(readFileSync(file, 'utf8')));
    for (const m of kept.messages) this.add(m);
  }
}

/**
 * The ingest side's AlertQueue on a local queue whose processor runs in this process: `send` also says what a
 * delivery's alerts came to once the processor recorded them (`onProcessed` is the processor's), so the answer
 * can wait for a small delivery and name its tasks as on one machine it always did.
 */
export function localAlertQueue(queue: LocalQueue): {
  readonly queue: AlertQueue;
  readonly onProcessed: (message: IngestMessage, outcomes: readonly IngestOutcome[]) => void;
} {
  const watched = new Map<
    string,
    { chunks: number; done: Map<number, readonly IngestOutcome[]>; all: () => void }
  >();
  const keyOf = (m: Pick<IngestMessage, 'source' | 'deliveryId'>) => `${m.source}#${m.deliveryId}`;
  return {
    queue: {
      async send(messages): Promise<AwaitOutcomes | undefined> {
        const first = messages[0];
        // A re-drive's send is not waited for by anyone.
        if (!first || first.redriven) {
          queue.send(messages.map(encodeMessage));
          return undefined;
        }
        const key = keyOf(first);
        let all!: () => void;
        const finished = new Promise<void>((resolve) => {
          all = resolve;
        });
        const entry = { chunks: first.chunks, done: new Map<number, readonly IngestOutcome[]>(), all };
        watched.set(key, entry);
        queue.send(messages.map(encodeMessage));
        return async (withinMs) => {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            finished,
            new Promise((resolve) => {
              timer = setTimeout(resolve, withinMs);
            }),
          ]);
          clearTimeout(timer);
          if (watched.get(key) === entry) watched.delete(key);
          return [...entry.done.entries()].sort(([a], [b]) => a - b).flatMap(([, outcomes]) => outcomes);
        };
      },
    },
    onProcessed(message, outcomes) {
      const entry = watched.get(keyOf(message));
      if (!entry) return;
      entry.done.set(message.index, outcomes);
      if (entry.done.size >= entry.chunks) entry.all();
    },
  };
}
