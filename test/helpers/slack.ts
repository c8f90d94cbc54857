import type { Clock } from '../../src/core/time.js';
import { type SandboxCard, SandboxSlack } from '../../src/local/slack-client.js';
import type { SandboxEntry } from '../../src/local/slack-emulator.js';
import type { TestStack } from './local-stack.js';

export const ANA = 'U01AAA'; // admin
export const BEN = 'U01BBB'; // developer, on the payments team with ana
export const CAL = 'U01CCC'; // developer by default, on no team
export const VIC = 'U09VIEW'; // read-only, through the S0READONLY user group
export const GENERAL = 'C0GENERAL';
export const CHECKOUT = 'C0CHECKOUT';

/** Everything the stack does after answering (stream consumers, handed-off jobs) has finished. */
export async function settle(stack: TestStack): Promise<void> {
  await stack.idle();
}

/** The Slack client side of a test: signed requests, and what Slack shows afterwards. */
export function slackOf(stack: TestStack) {
  const client = new SandboxSlack(stack.url, stack.secrets.SLACK_SIGNING_SECRET);
  const card = (taskId: string): Omit<SandboxEntry, 'blocks'> & SandboxCard => {
    const found = stack.slack
      .messages()
      .find(
        (m) =>
          !m.ephemeral_user && !m.response_url && m.thread_ts === null && m.text.includes(` ${taskId}: `),
      );
    if (!found) throw new Error(`no card for ${taskId}`);
    return found as unknown as Omit<SandboxEntry, 'blocks'> & SandboxCard;
  };
  return {
    client,
    card,
    /** What only `user` saw, newest last. */
    privately: (user: string) => stack.slack.messages().filter((m) => m.ephemeral_user === user),
    lastPrivate(user: string): string {
      return (
        stack.slack
          .messages()
          .filter((m) => m.ephemeral_user === user)
          .at(-1)?.text ?? ''
      );
    },
    thread: (taskId: string) => {
      const { ts } = card(taskId);
      return stack.slack.messages().filter((m) => m.thread_ts === ts);
    },
    dms: (user: string) => stack.slack.messages(`D${user.slice(1)}`),
    /** Every text of a card's blocks, flattened, for assertions on what a reader sees. */
    cardText(taskId: string): string {
      return JSON.stringify(card(taskId).blocks);
    },
  };
}

/**
 * `/tms <text>` typed by `user` in #general, signed at the stack's own time (Slack's five-minute rule is checked
 * on the stack's clock, which a test may have moved): the reply only that person saw.
 */
export async function typeOn(
  stack: TestStack,
  clock: Clock,
  text: string,
  user: string = ANA,
): Promise<string> {
  const slack = slackOf(stack);
  const answer = await slack.client.send(slack.client.commandBody(text, { user, channel: GENERAL }), {
    timestamp: Math.floor(clock.now().getTime() / 1000),
  });
  if (answer.status !== 200) throw new Error(`/tms ${text} was answered ${answer.status}`);
  await settle(stack);
  return slack.lastPrivate(user);
}
