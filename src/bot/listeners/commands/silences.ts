import { authorize } from '../../../core/rbac.js';
import { describeMatchers, parseSilence, type Silence } from '../../../core/silence.js';
import { USAGE } from '../../command.js';
import type { BotDeps } from '../../context.js';
import { asSentence, slackText } from '../../slack-errors.js';
import { escapeMrkdwn, mention, slackDate } from '../../text.js';
import { type Asker, type CommandOf, type Reply, text } from './reply.js';

/** `/tms silence …`, `/tms silences`, `/tms silences lift <id>`. */
export async function silences(
  deps: BotDeps,
  command: CommandOf<'silence' | 'silences' | 'lift'>,
  asker: Asker,
): Promise<Reply> {
  const { role, user } = asker;
  const store = deps.silences;
  if (!store) return text('Silences are not available here.');
  const now = deps.clock.now();
  if (command.name === 'silences') {
    // Read each one afresh: the list of silences in force may be cached, their counts are not.
    const listed = await store.activeSilences(now.toISOString());
    const active = (await Promise.all(listed.map(async (s) => (await store.getSilence(s.id)) ?? s)))
      .filter((s) => !s.liftedAt)
      .sort((a, b) => (a.endsAt < b.endsAt ? -1 : 1));
    const windows = await (await import('./maintenance.js')).windowLines(deps, now);
    if (active.length === 0)
      return text(
        ['No silence is in force.', ...windows, ...(windows.length ? [USAGE.silences] : [])].join('\n'),
      );
    const lines = active.map(
      (s) =>
        `• *${s.id}* ${escapeMrkdwn(describeMatchers(s.matchers))} until ${slackDate(s.endsAt)} by ${mention(s.createdBy)}` +
        `${s.reason ? ` — ${escapeMrkdwn(s.reason)}` : ''} (${s.matched} held back)`,
    );
    return text(['*Silences in force*', ...lines, ...windows, USAGE.silences].join('\n'));
  }
  const allowed = authorize(role, 'silence', user);
  if (!allowed.ok) return text(asSentence(slackText(allowed.error)));
  if (command.name === 'lift' && command.id.startsWith('MW-')) {
    if (!(await deps.windows?.liftWindow(command.id, user, now.toISOString())))
      return text(`There is no maintenance window ${command.id} to lift.`);
    return text(
      `Lifted *${command.id}*: it holds nothing more; what it held and still fires opens at the next sweep.`,
    );
  }
  if (command.name === 'lift') {
    if (!(await store.liftSilence(command.id, user, now.toISOString())))
      return text(`There is no silence ${command.id} in force.`);
    return text(`Lifted *${command.id}*: matching alerts open tasks again.`);
  }
  const parsed = parseSilence(command.words, Object.keys(deps.config.services));
  if (!parsed.ok) return text(`${asSentence(slackText(parsed.error))}\nUsage: ${USAGE.silence}`);
  const silence: Silence = {
    id: `S-${deps
      .newId()
      .replace(/[^0-9a-z]/gi, '')
      .slice(0, 8)
      .toLowerCase()}`,
    matchers: parsed.value.matchers,
    reason: parsed.value.reason,
    createdBy: user,
    createdAt: now.toISOString(),
    endsAt: new Date(now.getTime() + parsed.value.durationMs).toISOString(),
    matched: 0,
  };
  await store.createSilence(silence);
  return text(
    `Silenced ${escapeMrkdwn(describeMatchers(silence.matchers))} until ${slackDate(silence.endsAt)} (*${silence.id}*)` +
      `${silence.reason ? `: ${escapeMrkdwn(silence.reason)}` : ''}. Alerts it holds back open no task and post nothing; ` +
      `\`/tms silences lift ${silence.id}\` ends it.`,
  );
}
