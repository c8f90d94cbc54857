import {
  type MaintenanceWindow,
  newWindow,
  nextOccurrences,
  type Occurrence,
  occurrenceAt,
  parseMaintenance,
  windowIdFrom,
} from '../../../core/maintenance.js';
import { authorize } from '../../../core/rbac.js';
import { everyText } from '../../../core/schedule.js';
import { describeMatchers } from '../../../core/silence.js';
import { USAGE } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { asSentence, slackText } from '../../slack-errors.js';
import { escapeMrkdwn, slackDate } from '../../text.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/**
 * `/tms maintenance <service or key=value …> from <time> to <time> [every …] [reason]`: a window that holds
 * matching alerts back while it is in force, read in the person's Slack time zone. Who may silence may make one.
 */
export async function maintenance(
  deps: BotDeps,
  command: CommandOf<'maintenance'>,
  asker: Asker,
): Promise<Reply> {
  const store = deps.windows;
  if (!store) return text('Maintenance windows are not available here.');
  const allowed = authorize(asker.role, 'silence', asker.user);
  if (!allowed.ok) return text(asSentence(slackText(allowed.error)));
  const now = deps.clock.now();
  const timeZone = await deps.directory.timeZoneOf(asker.user);
  const services = [...new Set([...Object.keys(deps.config.services), deps.config.defaults.service])];
  const parsed = parseMaintenance(command.words, services, now, timeZone);
  if (!parsed.ok) return text(`${asSentence(slackText(parsed.error))}\nUsage: ${USAGE.maintenance}`);
  const window = newWindow(parsed.value, {
    id: windowIdFrom(deps.newId()),
    createdBy: asker.user,
    createdAt: now,
    origin: 'slack',
  });
  if (!(await store.createWindow(window))) return text('That window id was taken just now: try again.');
  const next = nextOccurrences(window, now, 3);
  return text(
    `Maintenance window *${window.id}* holds back ${escapeMrkdwn(describeMatchers(window.matchers))} ` +
      `${readAs(window, timeZone)}${window.reason ? ` — ${escapeMrkdwn(window.reason)}` : ''}.\n` +
      `${occurrenceLines(next, now)}\n` +
      'Alerts it holds open no task and post nothing; those still firing when it ends open their task then. ' +
      `\`/tms silences\` lists it; \`/tms silences lift ${window.id}\` ends it.`,
  );
}

/** How the window was read: its first occurrence as the person wrote it, and how it recurs. */
function readAs(window: MaintenanceWindow, timeZone: string): string {
  const zone = timeZone === 'UTC' ? 'UTC' : escapeMrkdwn(timeZone);
  return (
    `from ${slackDate(window.from)} to ${slackDate(window.to)}` +
    `${window.every ? `, ${everyText(window.every)}` : ', once'} (read in ${zone})`
  );
}

/** The occurrences to come, the one in force first. */
export function occurrenceLines(occurrences: readonly Occurrence[], now: Date): string {
  if (occurrences.length === 0) return 'It has no occurrence to come.';
  return occurrences
    .map(
      (o) =>
        `• ${o.start <= now ? '*in force now*, ' : ''}${slackDate(o.start.toISOString())} → ${slackDate(o.end.toISOString())}`,
    )
    .join('\n');
}

/** How many windows of each kind `/tms silences` lists: a reply people read, within Slack's limits. */
const WINDOWS_LISTED = 20;

/** `/tms silences`' lines for windows: those in force now, then those to come with their next occurrence. */
export async function windowLines(deps: BotDeps, now: Date): Promise<string[]> {
  const store = deps.windows;
  if (!store) return [];
  const listed = await store.listWindows();
  const inForce: string[] = [];
  const upcoming: { at: number; line: string }[] = [];
  for (const window of listed) {
    const occurrence = occurrenceAt(window, now);
    const [next] = occurrence ? [occurrence] : nextOccurrences(window, now, 1);
    if (!next) continue;
    const what = `*${window.id}* ${escapeMrkdwn(describeMatchers(window.matchers))}`;
    const why = `${window.reason ? ` — ${escapeMrkdwn(window.reason)}` : ''}`;
    const recurs = window.every ? `, ${everyText(window.every)}` : '';
    if (occurrence) {
      const fresh = (await store.getWindow(window.id)) ?? window;
      inForce.push(
        `• ${what} until ${slackDate(occurrence.end.toISOString())}${recurs}${why} (${fresh.held} held back)`,
      );
    } else
      upcoming.push({
        at: next.start.getTime(),
        line: `• ${what} next ${slackDate(next.start.toISOString())} → ${slackDate(next.end.toISOString())}${recurs}${why}`,
      });
  }
  const capped = (lines: string[]) =>
    lines.length > WINDOWS_LISTED
      ? [...lines.slice(0, WINDOWS_LISTED), `…and ${lines.length - WINDOWS_LISTED} more`]
      : lines;
  return [
    ...(inForce.length ? ['*Maintenance windows in force*', ...capped(inForce)] : []),
    ...(upcoming.length
      ? ['*Maintenance windows to come*', ...capped(upcoming.sort((a, b) => a.at - b.at).map((u) => u.line))]
      : []),
  ];
}
