import type { PageTarget } from '../../../core/escalation-policy.js';
import { escalateNow } from '../../../core/use-cases/escalate.js';
import type { BotDeps } from '../../context.js';
import { asSentence, slackText } from '../../slack-errors.js';
import { mention, mrkdwn } from '../../text.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** Whom a step reached, as the person who asked for it reads it (mentions: they are told who was paged). */
export function reachedText(targets: readonly PageTarget[]): string {
  return targets
    .map((target) => {
      switch (target.kind) {
        case 'user':
          return target.as === 'oncall'
            ? `${mention(target.id)} (on call)`
            : target.as === 'next'
              ? `${mention(target.id)} (on call next)`
              : mention(target.id);
        case 'group':
          return `<!subteam^${target.id}>`;
        case 'channel':
          return `<#${target.id}> (with @here)`;
        default:
          return 'the notification topic';
      }
    })
    .join(', ');
}

/**
 * `/tms escalate <id>` (issue 19): the task's escalation takes its next notify step now, waits passed over;
 * the running execution goes on from there. The pages go out from the stream a moment later (src/core/use-cases/escalate.ts
 * escalateNow). Refused, with the reason, when there is nothing to escalate.
 */
export async function escalate(deps: BotDeps, command: CommandOf<'escalate'>, asker: Asker): Promise<Reply> {
  const result = await escalateNow(deps, {
    taskId: command.id,
    user: asker.user,
    role: asker.role,
    via: 'slack',
  });
  if (!result.ok) return text(asSentence(slackText(result.error)));
  const { task, reached } = result.value;
  const policy = task.escalation ? mrkdwn(task.escalation.policy, 64) : 'its policy';
  if (reached.length === 0)
    return text(
      task.escalation?.state === 'ended'
        ? `*${task.id}* had no further step to page: its escalation (${policy}) has now been through every step. Assign it to bring someone in.`
        : `You escalated *${task.id}*, but its next step reached nobody (see its thread for why).`,
    );
  return text(`You escalated *${task.id}* (${policy}): paging ${reachedText(reached)}.`);
}
