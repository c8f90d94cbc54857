import { accept, sourceNamed } from '../ingest/pipeline.js';
import type { IngestRequest } from '../ingest/source.js';
import { buildDeps, type Env, type HouseDeps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import type { Secrets } from '../runtime/secrets.js';

/**
 * The alert sources AWS invokes directly, with IAM as the sender's proof: a CloudWatch Logs subscription
 * (`{"awslogs":{"data":…}}`), EventBridge's "CloudWatch Alarm State Change", and SNS topics subscribed to
 * the function (`Records[].Sns`). Each goes through the same path as the HTTP routes: read by its source,
 * archived raw, recorded, marked processed. A failure throws, so Lambda retries the invocation; what was
 * archived is never processed twice.
 */
export const makeAwsIngestHandler = (deps: HouseDeps) =>
  async function handler(event: unknown): Promise<{ taskIds: string[] }> {
    const items = deliveriesOf(event);
    if (items.length === 0) {
      logger.warn('an invocation that is no alert source TMS knows', {
        keys: Object.keys((event as object) ?? {}),
      });
      return { taskIds: [] };
    }
    const taskIds = new Set<string>();
    for (const { source, body } of items) {
      const request: IngestRequest = { headers: {}, query: {}, body, receivedAt: deps.clock.now() };
      const reader = sourceNamed(source);
      if (!reader) continue;
      const received = await reader.receive(
        request,
        { ingestToken: '' },
        { verify: false, config: deps.config },
      );
      if (!received.ok) {
        logger.warn('an AWS-invoked delivery could not be read', {
          source,
          status: received.error.statusCode,
        });
        continue;
      }
      // With the ingest queue, archived and sent to it (a failure to send is left to the sweeper's re-drive).
      const options = deps.ingestQueue ? { queue: deps.ingestQueue } : {};
      for (const outcome of await accept(deps, source, request, received.value, options))
        if (outcome.taskId) taskIds.add(outcome.taskId);
    }
    return { taskIds: [...taskIds] };
  };

/** The Lambda's handler, built once per container from its environment (src/runtime/lambda-entry.ts). */
export const fromEnvironment = (env: Env, secrets: Secrets) =>
  makeAwsIngestHandler(buildDeps(env, { secrets }));

/** What each invocation shape carries, as the body its source reads. */
export function deliveriesOf(event: unknown): { source: string; body: string }[] {
  const e = event as Record<string, unknown> | null;
  if (!e || typeof e !== 'object') return [];
  if (e.awslogs) return [{ source: 'logs', body: JSON.stringify({ awslogs: e.awslogs }) }];
  if (e['detail-type'] === 'CloudWatch Alarm State Change')
    return [{ source: 'cloudwatch', body: JSON.stringify(e) }];
  const records = Array.isArray(e.Records) ? (e.Records as Record<string, unknown>[]) : [];
  return records
    .filter((r) => r.EventSource === 'aws:sns' && r.Sns && typeof r.Sns === 'object')
    .map((r) => ({ source: 'cloudwatch', body: JSON.stringify(r.Sns) }));
}
