import type { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { Directory } from '../../src/bot/directory.js';
import { parseConfig } from '../../src/core/config.js';

/** A Web API that answers users.info with `answer` (or fails with it), counting the calls. */
function slackAnswering(answer: (user: string) => unknown) {
  const calls: string[] = [];
  const client = {
    users: {
      info: async ({ user }: { user: string }) => {
        calls.push(user);
        const value = answer(user);
        if (value instanceof Error) throw value;
        return { ok: true, user: value };
      },
    },
  } as unknown as WebClient;
  return { client, calls };
}

describe('Directory.timeZoneOf: the zone a person’s times are read in', () => {
  const config = parseConfig('{}');

  it('is the Slack user’s tz, asked once and then cached', async () => {
    // Prepare
    const { client, calls } = slackAnswering(() => ({ id: 'U01AAA', tz: 'Europe/Berlin' }));
    const directory = new Directory(client, config, () => 0);
    // Act
    const zones = [await directory.timeZoneOf('U01AAA'), await directory.timeZoneOf('U01AAA')];
    // Assess
    expect(zones).toEqual(['Europe/Berlin', 'Europe/Berlin']);
    expect(calls).toEqual(['U01AAA']);
  });

  it('is UTC where Slack gives none, gives one it cannot use, or cannot be asked', async () => {
    // Prepare
    const answers: Record<string, unknown> = {
      U0NONE: { id: 'U0NONE' },
      U0BAD: { id: 'U0BAD', tz: 'Mars/Olympus_Mons' },
      U0FAIL: new Error('ratelimited'),
    };
    const { client } = slackAnswering((user) => answers[user]);
    const directory = new Directory(client, config, () => 0);
    // Act, Assess
    expect(await directory.timeZoneOf('U0NONE')).toBe('UTC');
    expect(await directory.timeZoneOf('U0BAD')).toBe('UTC');
    expect(await directory.timeZoneOf('U0FAIL')).toBe('UTC');
  });
});
