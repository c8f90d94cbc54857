import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/time.js';
import { successSchema } from '../../src/http/openapi.js';
import { signDevToken } from '../../src/local/dev-token.js';
import { API, getJson, inProcessStack, type TestStack } from '../helpers/local-stack.js';
import { ANA, BEN, CAL, VIC } from '../helpers/slack.js';

// Friday 2026-12-04, 14:00 UTC; test/fixtures/config/oncall.config.yaml: payments (Berlin) has ben on until
// Monday 08:00 UTC, then ana; search (New York) has cal on until Monday 14:00 UTC, then ben.
const clock = new ManualClock('2026-12-04T14:00:00.000Z');
let stack: TestStack;
let viewer: Record<string, string>;

beforeAll(async () => {
  stack = await inProcessStack({ TMS_CONFIG: 'test/fixtures/config/oncall.config.yaml' }, { clock });
  viewer = API(
    await signDevToken({
      role: 'viewer',
      user: VIC,
      ttlMs: 3_600_000,
      secret: stack.secrets.TMS_JWT_SECRET,
      now: clock.now(),
    }),
  );
}, 60_000);
afterAll(() => stack?.close(), 60_000);

describe('GET /api/oncall', () => {
  it('names who is on call for every team, until when, and who is next; a viewer may read it', async () => {
    // Act
    const answer = await getJson(`${stack.url}/api/oncall`, viewer);
    // Assess
    expect(answer.status).toBe(200);
    expect(successSchema('GET /api/oncall')?.safeParse(answer.body).success).toBe(true);
    expect(answer.body).toEqual({
      oncall: [
        {
          team: 'payments',
          now: { user: BEN, until: '2026-12-07T08:00:00.000Z' },
          next: { user: ANA, from: '2026-12-07T08:00:00.000Z' },
        },
        {
          team: 'search',
          now: { user: CAL, until: '2026-12-07T14:00:00.000Z' },
          next: { user: BEN, from: '2026-12-07T14:00:00.000Z' },
        },
      ],
    });
  });

  it('counts the overrides kept, for the team named', async () => {
    // Prepare
    await stack.deps.oncall.createOverride({
      id: 'OV-api00001',
      team: 'search',
      user: ANA,
      start: '2026-12-04T13:00:00.000Z',
      end: '2026-12-05T02:00:00.000Z',
      createdAt: '2026-12-04T12:00:00.000Z',
      createdBy: ANA,
      reason: 'override',
    });
    // Act
    const answer = await getJson(`${stack.url}/api/oncall?team=search`, API());
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      oncall: [
        {
          team: 'search',
          now: { user: ANA, until: '2026-12-05T02:00:00.000Z' },
          next: { user: CAL, from: '2026-12-05T02:00:00.000Z' },
        },
      ],
    });
  });

  it('answers 404 for a team it does not know, 400 for a parameter it does not take, 401 without a token', async () => {
    // Act
    const unknown = await getJson(`${stack.url}/api/oncall?team=billing`, API());
    const misspelt = await getJson(`${stack.url}/api/oncall?taem=search`, API());
    const anonymous = await getJson(`${stack.url}/api/oncall`);
    // Assess
    expect(unknown).toEqual({
      status: 404,
      body: {
        error: expect.objectContaining({ code: 'TEAM_NOT_FOUND', message: 'There is no team billing' }),
      },
    });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.error.message).toContain('taem: not a parameter of this route');
    expect(anonymous.status).toBe(401);
  });
});
