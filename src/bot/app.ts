import { App, type AwsLambdaReceiver, type BlockAction, LogLevel, type ViewSubmitAction } from '@slack/bolt';
import { SLACK_CLIENT_OPTIONS } from '../adapters/slack/client.js';
import type { LifecycleAction } from '../core/lifecycle.js';
import { snoozeUntil } from '../core/lifecycle.js';
import { PRIORITIES, type Priority, UNRESOLVED } from '../core/task.js';
import { openTask } from '../core/use-cases/open-task.js';
import { logger } from '../runtime/logger.js';
import { parseTaskRef } from './card.js';
import { act, permalinks, runCommand } from './commands.js';
import type { BotDeps } from './context.js';
import type { Handoff, Job } from './handoff.js';
import { ACTION_ID, CALLBACK_ID, INPUT_ID } from './ids.js';
import { ephemeral, respond } from './replies.js';
import { explain, modalText } from './slack-errors.js';
import { escapeMrkdwn } from './text.js';
import { homeView, resolveModal } from './views.js';

export interface BotOptions {
  /** Requests arrive through API Gateway (the Lambda receiver), or over Socket Mode with an app token. */
  readonly receiver:
    | AwsLambdaReceiver
    | { readonly socketMode: { readonly appToken: string; readonly slackApiUrl?: string } };
  readonly token: string;
  readonly botId?: string;
  readonly botUserId?: string;
  /** Where Bolt's own client goes: the emulator offline, else Slack (or a GovSlack workspace's API). */
  readonly slackApiUrl?: string;
  readonly handoff: Handoff;
}

/** How long a double click or a Slack retry is remembered. */
const SEEN_FOR_MS = 60 * 60_000;
/**
 * How long a click or an event being handled keeps a second one away: the bot's Lambda timeout (15 s,
 * infra/stack.ts), so no invocation outlives it. One that died halfway (a killed process, a timeout) leaves
 * its marker in progress; after this the same click, or Slack's retry of the event, does the work.
 */
export const HANDLING_LEASE_MS = 15_000;

/** A claim on a marker for the next HANDLING_LEASE_MS, and until when a done one is remembered. */
function handling(deps: BotDeps) {
  const now = deps.clock.now().getTime();
  return {
    claim: {
      token: deps.newId(),
      now: new Date(now).toISOString(),
      leaseUntil: new Date(now + HANDLING_LEASE_MS).toISOString(),
    },
    expires: new Date(now + SEEN_FOR_MS).toISOString(),
  };
}

/**
 * The Slack surface: `/tms`, the card's buttons and selects, the two modals and App Home, on Bolt. Every
 * listener is thin: read what Slack sent, call the same use cases as every other entry point, answer the
 * person. Cards are not touched here: they follow the task through the table's stream (./projector.ts).
 */
export function createBotApp(deps: BotDeps, options: BotOptions): App {
  const app = new App({
    token: options.token,
    ...('socketMode' in options.receiver
      ? {
          socketMode: true,
          appToken: options.receiver.socketMode.appToken,
          ...(options.receiver.socketMode.slackApiUrl
            ? {
                installerOptions: { clientOptions: { slackApiUrl: options.receiver.socketMode.slackApiUrl } },
              }
            : {}),
        }
      : { receiver: options.receiver }),
    // Known ids mean no auth.test call at start-up: nothing reaches the network until a request does.
    ...(options.botId ? { botId: options.botId } : {}),
    ...(options.botUserId ? { botUserId: options.botUserId } : {}),
    clientOptions: {
      ...SLACK_CLIENT_OPTIONS,
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    },
    logLevel: LogLevel.WARN,
    tokenVerificationEnabled: false,
  });

  // Slack retries an event it thinks was not acknowledged: the same event_id is applied once. A retry while
  // the first delivery is being handled is acknowledged and ignored; one after that delivery died does it.
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string') {
      const { claim, expires } = handling(deps);
      const begun = await deps.seen.begin('slack-event', eventId, claim);
      if (begun !== 'begun') {
        logger.info('Slack event already handled', { eventId, state: begun });
        return;
      }
      try {
        await next();
      } catch (error) {
        await deps.seen.release('slack-event', eventId, claim.token); // the retry must not be ignored
        throw error;
      }
      await deps.seen.complete('slack-event', eventId, claim.token, expires);
      return;
    }
    await next();
  });

  app.command('/tms', async ({ command, ack, client }) => {
    const input = { user: command.user_id, channel: command.channel_id, text: command.text ?? '' };
    let reply: Awaited<ReturnType<typeof runCommand>>;
    try {
      reply = await runCommand(deps, input);
    } catch (error) {
      reply = { text: explain(error, '/tms failed', { text: input.text }) };
    }
    if ('modal' in reply) {
      await ack();
      try {
        await client.views.open({ trigger_id: command.trigger_id, view: reply.modal });
      } catch (error) {
        logger.warn('views.open failed', { error: (error as Error).message });
        await respond(
          command.response_url,
          ephemeral('The form could not be opened; please try again.'),
          deps.slackSettings.hooksUrl,
        );
      }
      return;
    }
    await ack(ephemeral(reply.text, reply.blocks));
  });

  const buttons: [string, (ref: string, value: string) => LifecycleAction | undefined][] = [
    [ACTION_ID.acknowledge, () => ({ type: 'acknowledge' })],
    [ACTION_ID.claim, () => ({ type: 'claim' })],
    [ACTION_ID.start, () => ({ type: 'start' })],
    [ACTION_ID.reopen, () => ({ type: 'reopen' })],
  ];
  for (const [actionId, toCommand] of buttons) {
    app.action<BlockAction>(actionId, async ({ ack, body, action }) => {
      await ack();
      const value = 'value' in action ? String(action.value ?? '') : '';
      await onAction(deps, options.handoff, body, actionId, value, () => toCommand(value, value));
    });
  }

  app.action<BlockAction>(ACTION_ID.priority, async ({ ack, body, action }) => {
    await ack();
    const value = action.type === 'static_select' ? action.selected_option.value : '';
    const level = value.split(':').at(-1) as Priority;
    await onAction(deps, options.handoff, body, ACTION_ID.priority, value, () =>
      PRIORITIES.includes(level) ? { type: 'set_priority', priority: level } : undefined,
    );
  });

  app.action<BlockAction>(ACTION_ID.snooze, async ({ ack, body, action }) => {
    await ack();
    const value = action.type === 'static_select' ? action.selected_option.value : '';
    await onAction(deps, options.handoff, body, ACTION_ID.snooze, value, () => {
      const until = snoozeUntil(value.split(':').at(-1) ?? '', deps.clock.now());
      return until.ok ? { type: 'snooze', until: until.value } : undefined;
    });
  });

  app.action<BlockAction>(ACTION_ID.reassign, async ({ ack, body, action }) => {
    await ack();
    const user = action.type === 'users_select' ? action.selected_user : '';
    const ref = 'block_id' in action ? action.block_id : '';
    await onAction(deps, options.handoff, body, ACTION_ID.reassign, `${ref}:${user}`, () =>
      user ? { type: 'assign', assignee: user } : undefined,
    );
  });

  app.action<BlockAction>(ACTION_ID.resolve, async ({ ack, body, action, client }) => {
    await ack();
    const ref = parseTaskRef('value' in action ? String(action.value ?? '') : undefined);
    const task = ref && (await deps.store.get(ref.taskId));
    if (!task || task.status === 'resolved') {
      await tell(
        deps,
        options.handoff,
        body,
        task ? `${task.id} is already resolved.` : 'That task no longer exists.',
      );
      return;
    }
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: resolveModal(task, body.channel?.id) });
    } catch (error) {
      logger.warn('views.open failed', { error: (error as Error).message });
      await tell(deps, options.handoff, body, 'The resolution form could not be opened; please try again.');
    }
  });

  app.view<ViewSubmitAction>(CALLBACK_ID.resolve, async ({ ack, body, view }) => {
    const ref = parseTaskRef(metadata(view.private_metadata).ref);
    const note = view.state.values[INPUT_ID.note]?.[INPUT_ID.note]?.value ?? null;
    if (!ref) {
      await ack({
        response_action: 'errors',
        errors: { [INPUT_ID.note]: 'This form is out of date; open it again.' },
      });
      return;
    }
    const user = body.user.id;
    try {
      const role = await deps.directory.roleOf(user);
      const result = await act(deps, ref.taskId, { type: 'resolve', resolution: note }, role, user);
      if (!result.ok) {
        await ack({ response_action: 'errors', errors: { [INPUT_ID.note]: stripMrkdwn(result.text) } });
        return;
      }
      await ack();
    } catch (error) {
      const text = stripMrkdwn(explain(error, 'resolve modal failed'));
      await ack({ response_action: 'errors', errors: { [INPUT_ID.note]: text } });
    }
  });

  app.view<ViewSubmitAction>(CALLBACK_ID.newTask, async ({ ack, body, view, client }) => {
    const values = view.state.values;
    const title = values[INPUT_ID.title]?.[INPUT_ID.title]?.value?.trim() ?? '';
    if (!title) {
      await ack({ response_action: 'errors', errors: { [INPUT_ID.title]: 'A task needs a title' } });
      return;
    }
    const meta = metadata(view.private_metadata);
    const priority = values[INPUT_ID.priority]?.[INPUT_ID.priority]?.selected_option?.value as
      | Priority
      | undefined;
    const service = values[INPUT_ID.service]?.[INPUT_ID.service]?.selected_option?.value;
    const assignee = values[INPUT_ID.assignee]?.[INPUT_ID.assignee]?.selected_user ?? null;
    const user = body.user.id;
    try {
      const opened = await openTask(deps, {
        title,
        description: values[INPUT_ID.description]?.[INPUT_ID.description]?.value ?? '',
        ...(priority && PRIORITIES.includes(priority) ? { priority } : {}),
        // Own keys only: `constructor` or `__proto__` is in every object, and names no service.
        ...(service && Object.hasOwn(deps.config.services, service) ? { service } : {}),
        ...(meta.channel ? { channel: meta.channel } : {}),
        assignee,
        role: await deps.directory.roleOf(user),
        ctx: { actor: { type: 'user', id: user }, via: 'slack', now: deps.clock.now() },
      });
      if (!opened.ok) {
        await ack({
          response_action: 'errors',
          errors: { [INPUT_ID.title]: modalText(opened.error) },
        });
        return;
      }
      await ack();
      if (meta.channel) {
        await client.chat
          .postEphemeral({
            channel: meta.channel,
            user,
            text: `Opened *${opened.value.id}* (${opened.value.priority}).`,
          })
          .catch((error: Error) => logger.warn('chat.postEphemeral failed', { error: error.message }));
      }
    } catch (error) {
      const text = stripMrkdwn(explain(error, 'new task modal failed'));
      await ack({ response_action: 'errors', errors: { [INPUT_ID.title]: text } });
    }
  });

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await options.handoff.later({ kind: 'publish-home', user: event.user });
  });

  app.error(async (error) => {
    logger.error('Bolt listener failed', { error });
  });

  return app;
}

/** A button or select on a card, in App Home or in an ephemeral reply. */
async function onAction(
  deps: BotDeps,
  handoff: Handoff,
  body: BlockAction,
  actionId: string,
  value: string,
  toCommand: () => LifecycleAction | undefined,
): Promise<void> {
  const action = body.actions[0];
  const ref =
    parseTaskRef(value) ?? parseTaskRef(action && 'block_id' in action ? action.block_id : undefined);
  const command = toCommand();
  if (!ref || !command) {
    await tell(deps, handoff, body, 'That button is out of date; use `/tms show <id>` for the current card.');
    return;
  }
  const user = body.user.id;
  // A double click, or the same click sent twice: the same action on the same card version counts once.
  // A second one while the first is being handled is quiet (the card shows the first's outcome); one after
  // the first died halfway, and its lease ran out, does the work.
  // The same click on a card whose task changed after it did its work (someone else acted, or this person
  // chose otherwise in between, on a card Slack had not yet redrawn) is a new decision: it acts again.
  const clicked = `${ref.taskId}@${ref.version}#${actionId}#${value}#${user}`;
  const { claim, expires } = handling(deps);
  let key = clicked;
  let begun = await deps.seen.begin('slack-action', key, claim);
  if (begun === 'done') {
    const [after, task] = await Promise.all([
      deps.seen.outcomeOf('slack-action', key),
      deps.store.get(ref.taskId),
    ]);
    if (after !== undefined && task && after !== String(task.version)) {
      key = `${clicked}~${task.version}`;
      begun = await deps.seen.begin('slack-action', key, claim);
    }
  }
  if (begun !== 'begun') return;
  let result: Awaited<ReturnType<typeof act>>;
  try {
    const role = await deps.directory.roleOf(user);
    result = await act(deps, ref.taskId, command, role, user);
  } catch (error) {
    const text = explain(error, 'card action failed', { actionId, taskId: ref.taskId });
    await deps.seen.release('slack-action', key, claim.token); // nothing changed: pressing again must work
    await tell(deps, handoff, body, text);
    return;
  }
  await deps.seen.complete(
    'slack-action',
    key,
    claim.token,
    expires,
    result.version === undefined ? undefined : String(result.version),
  );
  // Success shows on the card itself; only a refusal is worth a message.
  if (!result.ok) await tell(deps, handoff, body, result.text);
  else if (body.container?.type === 'view') await handoff.later({ kind: 'publish-home', user });
}

/** A message to the person who clicked: ephemeral where the click came from, or a notice on their App Home. */
async function tell(deps: BotDeps, handoff: Handoff, body: BlockAction, text: string): Promise<void> {
  if (body.response_url && (await respond(body.response_url, ephemeral(text), deps.slackSettings.hooksUrl)))
    return;
  if (body.channel?.id) {
    try {
      await deps.slack.chat.postEphemeral({ channel: body.channel.id, user: body.user.id, text });
      return;
    } catch (error) {
      logger.warn('chat.postEphemeral failed', { error: (error as Error).message });
    }
  }
  await handoff.later({ kind: 'publish-home', user: body.user.id, notice: text });
}

/** App Home for one person: their open tasks, then their teams' (slow: several queries, so handed off). */
export async function publishHome(deps: BotDeps, user: string, notice?: string): Promise<void> {
  const role = await deps.directory.roleOf(user);
  const mine = (await deps.store.list({ assignee: user, statuses: UNRESOLVED, limit: 20 })).tasks;
  const teams = [];
  for (const team of await deps.directory.teamsOf(user)) {
    const services = Object.entries(deps.config.services)
      .filter(([, s]) => s.team === team)
      .map(([name]) => name);
    const tasks = [];
    for (const service of services) {
      tasks.push(...(await deps.store.list({ service, statuses: UNRESOLVED, limit: 10 })).tasks);
    }
    teams.push({ team, tasks: tasks.filter((t) => t.assignee !== user).slice(0, 10) });
  }
  const links = await permalinks(deps, [...mine, ...teams.flatMap((t) => t.tasks)]);
  const view = homeView(
    { mine, teams, permalinks: links, ...(notice ? { notice: escapeMrkdwn(notice) } : {}) },
    { id: user, role },
    deps.clock.now(),
  );
  await deps.slack.views.publish({ user_id: user, view });
}

export async function runJob(deps: BotDeps, job: Job): Promise<void> {
  switch (job.kind) {
    case 'publish-home':
      return publishHome(deps, job.user, job.notice);
  }
}

/** What TMS put in a modal's private_metadata: the fields it reads, when they are strings. */
function metadata(text: string | undefined): { ref?: string; channel?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '{}');
  } catch {
    return {};
  }
  if (!value || typeof value !== 'object') return {};
  const { ref, channel } = value as Record<string, unknown>;
  return {
    ...(typeof ref === 'string' ? { ref } : {}),
    ...(typeof channel === 'string' ? { channel } : {}),
  };
}

/** Modal error texts are plain: drop the mrkdwn of a message written for a channel. */
const stripMrkdwn = (text: string) => text.replace(/<@([UW][A-Z0-9]+)>/g, '@$1').replace(/[*_`]/g, '');
