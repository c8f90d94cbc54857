import { UNRESOLVED } from '../core/task.js';
import type { BotDeps } from './context.js';
import type { Job } from './handoff.js';
import { homeShifts } from './home-shifts.js';
import { permalinks } from './permalinks.js';
import { escapeMrkdwn } from './text.js';
import { homeView } from './views.js';

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
  const oncall = await homeShifts(deps, user, deps.clock.now());
  const view = homeView(
    {
      mine,
      teams,
      permalinks: links,
      ...(notice ? { notice: escapeMrkdwn(notice) } : {}),
      ...(oncall ? { oncall } : {}),
    },
    { id: user, role },
    deps.clock.now(),
  );
  await deps.slack.views.publish({ user_id: user, view });
}

/** Work a listener handed off (./handoff.ts), run after Slack has its answer. */
export async function runJob(deps: BotDeps, job: Job): Promise<void> {
  switch (job.kind) {
    case 'publish-home':
      return publishHome(deps, job.user, job.notice);
  }
}
