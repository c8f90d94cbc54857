import { own } from '../core/bounds.js';
import type { DeadLetterLook, DeadLetterQueue } from '../jobs/dead-letters.js';
import type { WireResponse } from './gateway.js';
import type { PeekedMessage } from './local-queue.js';

export type { PeekedMessage } from './local-queue.js';

/** What the sandbox routes and the monitor need of a local queue. */
export interface LocalQueueView {
  readonly name: string;
  depth(): number;
  peek(limit?: number): readonly PeekedMessage[];
}

/** The local stack's queues (`stack.queues`): the ingest dead-letter queue redrives into the ingest queue. */
export interface SandboxQueues {
  readonly ingest?: LocalQueueView;
  readonly ingestDead: Pick<LocalQueueView, 'depth'> &
    Partial<LocalQueueView> & { redrive(): Promise<number> };
}

/** How many messages a listing shows per queue: enough to see what failed, bounded however full it is. */
export const LISTED = 20;

/**
 * The sandbox's queue routes, or undefined for any other request: `POST /_sandbox/queues/redrive` moves what
 * the ingest dead-letter queue holds back to the ingest queue (what `npm run redrive` asks for);
 * `GET /_sandbox/queues` shows each queue's depth and its first messages, for the offline UI and tests.
 */
export async function queueRoute(
  method: string,
  path: string,
  queues: SandboxQueues,
): Promise<WireResponse | undefined> {
  if (path === '/_sandbox/queues/redrive' && method === 'POST') {
    const dead = queues.ingestDead;
    const redriven = await dead.redrive();
    return json(200, {
      redriven: [
        { queue: dead.name ?? 'ingestDead', to: queues.ingest?.name ?? 'ingest', messages: redriven },
      ],
      left: dead.depth(),
    });
  }
  if (path === '/_sandbox/queues' && method === 'GET') {
    const listed = Object.entries(queues).map(([key, queue]: [string, Partial<LocalQueueView>]) => ({
      key,
      name: queue.name ?? key,
      depth: queue.depth?.() ?? 0,
      messages: queue.peek?.(LISTED) ?? [],
    }));
    return json(200, { queues: listed });
  }
  if (path === '/_sandbox/queues' || path === '/_sandbox/queues/redrive')
    return json(405, {
      error: { code: 'METHOD_NOT_ALLOWED', message: `${method} ${path}: see npm run redrive -- --help` },
    });
  return undefined;
}

/** What the local dead-letter queues hold, and how to redrive them from a terminal. */
const LOCAL_HOLDS: Record<string, string> = {
  ingest:
    'Alerts of accepted deliveries that the ingest processor failed on at every receive (their deliveries are archived and were answered).',
};

/**
 * The local dead-letter queues as the monitor sees them, keyed by the monitor's short name
 * (`localDeadLetterQueues({ ingest: stack.queues.ingestDead })`): the depth, the first error and the oldest
 * message of the first few peeked at. `url`: the stack's address, so the task says how to reach it.
 */
export function localDeadLetterQueues(
  queues: Readonly<Record<string, Pick<LocalQueueView, 'depth' | 'peek'>>>,
  url?: string,
): DeadLetterQueue[] {
  return Object.entries(queues).map(([name, queue]) => ({
    name,
    holds: own(LOCAL_HOLDS, name) ?? `Messages the ${name} consumer gave up on.`,
    redrive: url ? `npm run redrive -- --url ${url}` : 'npm run redrive',
    ...(name === 'ingest' ? { priority: 'P1' as const } : {}),
    look: async () => lookAt(queue),
  }));
}

function lookAt(queue: Pick<LocalQueueView, 'depth' | 'peek'>): DeadLetterLook {
  const depth = queue.depth();
  if (depth === 0) return { depth };
  const peeked = queue.peek(10);
  const firstError = peeked.find((m) => m.lastError)?.lastError;
  const oldestAt = peeked.map((m) => m.sentAt).sort()[0];
  return { depth, ...(firstError ? { firstError } : {}), ...(oldestAt ? { oldestAt } : {}) };
}

function json(status: number, body: unknown): WireResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: Buffer.from(JSON.stringify(body)),
  };
}
