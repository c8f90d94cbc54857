import type { WebClient } from '@slack/web-api';
import type { Config } from '../core/config.js';
import { TransientError } from '../core/errors.js';
import { type Role, roleOf } from '../core/rbac.js';
import { isTimeZone } from '../core/schedule-time.js';
import { logger } from '../runtime/logger.js';

const TTL_MS = 5 * 60_000;
const GROUP = /^S[A-Z0-9]{2,}$/;

/**
 * Who people are, as far as TMS needs to know: their role (from the config's user and user-group ids),
 * their teams, and a name to write in a thread without pinging them. Slack's answers are cached per
 * container for five minutes, so a busy channel costs a handful of directory calls, not one per click.
 */
export class Directory {
  readonly #groups = new Map<string, { members: Set<string>; at: number }>();
  readonly #names = new Map<string, { name: string; at: number }>();
  readonly #zones = new Map<string, { timeZone: string; at: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly config: Config,
    private readonly now: () => number = Date.now,
  ) {}

  /** The person's role: admin and viewer lists may name user groups, whose members Slack is asked for. */
  async roleOf(userId: string): Promise<Role> {
    const { admins, viewers } = this.config.rbac;
    const groups = [...new Set([...admins, ...viewers].filter((id) => GROUP.test(id)))];
    // Asked together: on a cold container each group is a Slack call, and the first click waits for all.
    const members = await Promise.all(groups.map((group) => this.members(group)));
    const memberOf = groups.filter((_, i) => members[i]?.has(userId));
    return roleOf(userId, memberOf, this.config.rbac);
  }

  /** The teams a person is on: by the team's user group, or its on-call rotation. */
  async teamsOf(userId: string): Promise<string[]> {
    const teams: string[] = [];
    for (const [name, team] of Object.entries(this.config.teams)) {
      const inRotation = team.oncall?.rotation.includes(userId) ?? false;
      if (inRotation || (team.usergroup && (await this.members(team.usergroup)).has(userId)))
        teams.push(name);
    }
    return teams;
  }

  /** A display name, for lines that should not notify the person they name. */
  async nameOf(userId: string): Promise<string> {
    const cached = this.#names.get(userId);
    if (cached && this.now() - cached.at < TTL_MS) return cached.name;
    try {
      const { user } = await this.client.users.info({ user: userId });
      const name = user?.profile?.display_name || user?.real_name || user?.name || userId;
      this.#names.set(userId, { name, at: this.now() });
      return name;
    } catch (error) {
      logger.warn('users.info failed; naming the user by id', { userId, error: (error as Error).message });
      return userId;
    }
  }

  /**
   * The person's Slack time zone (`users.info` `user.tz`, such as Europe/Berlin), for reading the times they
   * write: 'UTC' where Slack knows none or cannot be asked, which the reply then says.
   */
  async timeZoneOf(userId: string): Promise<string> {
    const cached = this.#zones.get(userId);
    if (cached && this.now() - cached.at < TTL_MS) return cached.timeZone;
    try {
      const { user } = await this.client.users.info({ user: userId });
      const tz = typeof user?.tz === 'string' ? user.tz : '';
      const timeZone = tz && isTimeZone(tz) ? tz : 'UTC';
      this.#zones.set(userId, { timeZone, at: this.now() });
      return timeZone;
    } catch (error) {
      logger.warn('users.info failed; reading times in UTC', { userId, error: (error as Error).message });
      return 'UTC';
    }
  }

  async members(group: string): Promise<Set<string>> {
    const cached = this.#groups.get(group);
    if (cached && this.now() - cached.at < TTL_MS) return cached.members;
    try {
      const { users } = await this.client.usergroups.users.list({ usergroup: group });
      const members = new Set(users ?? []);
      this.#groups.set(group, { members, at: this.now() });
      return members;
    } catch (error) {
      logger.warn('usergroups.users.list failed', { group, error: (error as Error).message });
      if (cached) return cached.members; // stale but known beats guessing
      // Fail closed: without the group's members, a read-only user could act as a developer.
      throw new TransientError(
        'TMS could not check your permissions with Slack just now; try again in a moment',
        {
          context: { group },
          cause: error,
        },
      );
    }
  }
}
