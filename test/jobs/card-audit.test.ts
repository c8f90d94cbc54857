import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, DynamoTaskStore } from '../../src/adapters/dynamo/task-store.js';
import { actOnTask } from '../../src/core/use-cases/act-on-task.js';
import { openTask } from '../../src/core/use-cases/open-task.js';
import { reconcileCards } from '../../src/jobs/card-sync.js';
import { LOCAL_AWS } from '../../src/local/embedded-dynamo.js';
import { API, getJson, inProcessStack, postJson, type TestStack } from '../helpers/local-stack.js';
import { ANA, GENERAL, settle, slackOf } from '../helpers/slack.js';

let stack: TestStack;
let slack: ReturnType<typeof slackOf>;

beforeAll(async () => {
  stack = await inProcessStack();
  slack = slackOf(stack);
});
afterAll(() => stack.close());

/**
 * The use cases with a store that writes to dynalite itself, behind the stream feed: the task is written and
 * its stream record never reaches the card projector, exactly what a kill -9 between the two leaves (on AWS: a
 * record that expired, or a batch set aside after its retries).
 */
function withoutStream() {
  const db = createDocumentClient({ ...LOCAL_AWS, endpoint: stack.unstreamedStoreUrl });
  return { ...stack.deps, store: new DynamoTaskStore(db, 'tms') };
}

const user = { type: 'user', id: ANA } as const;
const version = async (id: string) =>
  (await getJson(`${stack.url}/api/tasks/${id}`, API())).body.task.version as number;
const shown = async (id: string) => (await stack.deps.cards.card(id))?.shownVersion ?? 0;

async function opened(title: string): Promise<string> {
  const answer = await slack.client.command(`new ${title} p3`, { user: ANA, channel: GENERAL });
  await settle(stack);
  return /\*(TMS-\d+)\*/.exec(answer.body.text)?.[1] as string;
}

describe('a card behind its task whose stream record was lost', () => {
  it('is found and brought up to date by the next tick, and a task that never got a card gets one', async () => {
    // Arrange: a task with its card, then a change whose record is lost; and a task whose creation's record is lost.
    const carded = await opened('Card audit: lost change');
    expect(await shown(carded)).toBe(1);
    const lost = withoutStream();
    const acked = await actOnTask(lost, {
      taskId: carded,
      command: { type: 'acknowledge' },
      role: 'admin',
      ctx: { actor: user, via: 'slack' },
    });
    expect(acked.ok).toBe(true);
    const created = await openTask(lost, {
      title: 'Card audit: lost creation',
      priority: 'P3',
      channel: GENERAL,
      role: 'admin',
      ctx: { actor: user, via: 'slack', now: new Date() },
    });
    if (!created.ok) throw created.error;
    const uncarded = created.value.id;
    await settle(stack);
    expect(await shown(carded)).toBe(1); // nothing scheduled a retry
    expect(await stack.deps.cards.card(uncarded)).toBeUndefined();

    // Act: the per-minute schedule runs.
    const tick = await postJson(`${stack.url}/_sandbox/tick`, {});
    expect(tick.status).toBe(200);

    // Assess: both cards show their task's version, in Slack too.
    expect(await shown(carded)).toBe(await version(carded));
    expect(slack.cardText(carded)).toContain('Acknowledged');
    expect(await shown(uncarded)).toBe(await version(uncarded));
    expect(slack.card(uncarded).text).toContain('Card audit: lost creation');
  });

  it('is found however old the task, a bounded page of tasks per tick', async () => {
    // Arrange: several carded tasks; the oldest one's change is lost.
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await opened(`Card audit page ${i}`));
    const oldest = ids[0] as string;
    const acked = await actOnTask(withoutStream(), {
      taskId: oldest,
      command: { type: 'acknowledge' },
      role: 'admin',
      ctx: { actor: user, via: 'slack' },
    });
    expect(acked.ok).toBe(true);

    // Act: ticks reading two tasks at a time (the two newest, and two more down the cursor).
    const found: number[] = [];
    for (let tick = 0; tick < 6 && (await shown(oldest)) < (await version(oldest)); tick++) {
      const result = await reconcileCards(stack.deps, new Date(), 25, 2);
      found.push(result.behind);
    }

    // Assess: the cursor reached it within the walk, and no tick read more than its page.
    expect(await shown(oldest)).toBe(await version(oldest));
    expect(found.at(-1)).toBe(1);
  });
});
