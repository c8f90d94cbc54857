import { lateTask, parseHeartbeat, spanText } from '../../../core/heartbeat.js';
import type { HeartbeatRecord } from '../../../core/ports.js';
import { authorize } from '../../../core/rbac.js';
import { formatDuration } from '../../../core/time.js';
import { ingestAlert } from '../../../core/use-cases/ingest-alert.js';
import { backAlert, stateOf } from '../../../ingest/heartbeat.js';
import { USAGE } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { asSentence, slackText } from '../../slack-errors.js';
import { escapeMrkdwn, mention, slackDate } from '../../text.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** How many heartbeats `/tms heartbeats` lists: a reply people read, within Slack's limits. */
const LISTED = 40;

/** How a job pings: the line its cron entry ends with. */
const pingLine = (name: string) =>
  `\`curl -fsS -X POST -H "Authorization: Bearer $INGEST_TOKEN" https://<TMS>/ingest/heartbeat/${name}\``;

const period = (beat: Pick<HeartbeatRecord, 'everyMs' | 'graceMs'>) =>
  `every ${formatDuration(beat.everyMs)} (+${formatDuration(beat.graceMs)} grace)`;

/** One heartbeat's line: what it expects, when it last reported, its deadline and its state. */
function line(beat: HeartbeatRecord, now: Date): string {
  const state = stateOf(beat, now);
  const about = [
    period(beat),
    beat.service ? escapeMrkdwn(beat.service) : '',
    beat.priority ?? '',
    beat.origin === 'config' ? 'from the config' : '',
  ].filter(Boolean);
  const last = beat.lastPingAt
    ? `last ping ${slackDate(beat.lastPingAt)}`
    : `no ping yet (made ${slackDate(beat.createdAt)})`;
  const deadline = slackDate(state.lateAt.toISOString());
  const task = lateTask(beat);
  const status =
    state.state === 'late'
      ? `:red_circle: *late* for ${spanText(state.quietMs)}, since ${deadline}; ${
          task === 'open' ? 'its task is open' : 'its task opens at the next sweep'
        }`
      : `:large_green_circle: up, due by ${deadline}${
          task === 'owed' ? '; its late task resolves at the next sweep' : ''
        }`;
  return `• *${escapeMrkdwn(beat.name)}* ${about.join(' · ')} — ${last} — ${status}`;
}

async function listing(deps: BotDeps, store: NonNullable<BotDeps['heartbeats']>): Promise<Reply> {
  const now = deps.clock.now();
  const stored = await store.listHeartbeats();
  const known = new Set(stored.map((beat) => beat.name));
  // The config's, before the first sweep brought them into the store: said so rather than left out.
  const pending = Object.entries(deps.config.heartbeats)
    .filter(([name]) => !known.has(name))
    .map(
      ([name, beat]) =>
        `• *${escapeMrkdwn(name)}* ${period(beat)} · from the config — watched from the next sweep`,
    );
  // Late ones first: what the asker came for. At most LISTED lines, and a count of the rest.
  const ordered = [...stored].sort(
    (a, b) => Number(stateOf(b, now).state === 'late') - Number(stateOf(a, now).state === 'late'),
  );
  const lines = [...ordered.map((beat) => line(beat, now)), ...pending];
  if (lines.length === 0) return text(`No heartbeats yet.\n${USAGE.heartbeat}`);
  const shown = lines.slice(0, LISTED);
  const more = lines.length > LISTED ? `\n…and ${lines.length - LISTED} more` : '';
  return text(`*Heartbeats*\n${shown.join('\n')}${more}\n${USAGE.heartbeat}`);
}

/** `/tms heartbeat <name> every <duration> [grace <duration>] [service]`, `/tms heartbeat <name> remove`, `/tms heartbeats`. */
export async function heartbeats(
  deps: BotDeps,
  command: CommandOf<'heartbeat' | 'heartbeats'>,
  asker: Asker,
): Promise<Reply> {
  const store = deps.heartbeats;
  if (!store) return text('Heartbeats are not available here.');
  if (command.name === 'heartbeats') return listing(deps, store);
  const allowed = authorize(asker.role, 'create', asker.user);
  if (!allowed.ok) return text(asSentence(slackText(allowed.error)));
  const services = [deps.config.defaults.service, ...Object.keys(deps.config.services)];
  const parsed = parseHeartbeat(command.words, services);
  if (!parsed.ok) return text(`${asSentence(slackText(parsed.error))}\nUsage: ${USAGE.heartbeat}`);
  const request = parsed.value;
  const name = escapeMrkdwn(request.name);
  const existing = await store.getHeartbeat(request.name);
  if (Object.hasOwn(deps.config.heartbeats, request.name) || existing?.origin === 'config')
    return text(
      `*${name}* comes from the config (\`heartbeats:\` in the config file): change or remove it there, not in Slack.`,
    );
  // A dead man's switch is its maker's: another developer switching it off would do so silently.
  if (existing && existing.createdBy !== asker.user && asker.role !== 'admin')
    return text(
      `*${name}* is ${mention(existing.createdBy)}'s heartbeat: only its maker or an admin can ${request.kind === 'remove' ? 'remove' : 'redefine'} it.`,
    );
  const now = deps.clock.now();
  if (request.kind === 'remove') {
    if (!existing) return text(`There is no heartbeat *${name}*.`);
    // Its late task, if any, is resolved first: nothing is left open about a heartbeat no longer watched.
    if (existing.lateSince !== undefined) await ingestAlert(deps, backAlert(request.name, now, 'removed'));
    await store.removeHeartbeat(request.name);
    return text(`Removed the heartbeat *${name}*: its pings are refused from now on (404).`);
  }
  await store.putHeartbeat({
    name: request.name,
    everyMs: request.everyMs,
    graceMs: request.graceMs,
    ...(request.service !== undefined ? { service: request.service } : {}),
    origin: 'slack',
    createdBy: asker.user,
    createdAt: now.toISOString(),
  });
  // As kept: a redefinition keeps its last ping, so its deadline counts from that.
  const beat = await store.getHeartbeat(request.name);
  const due = beat ? slackDate(stateOf(beat, now).lateAt.toISOString()) : 'its deadline';
  return text(
    `${existing ? 'Redefined' : 'Made'} the heartbeat *${name}*, ${period(request)}` +
      `${request.service ? ` for ${escapeMrkdwn(request.service)}` : ''}: a task opens if no ping comes by ${due}, ` +
      `and the next ping resolves it. The job pings each time it succeeds:\n${pingLine(name)}`,
  );
}
