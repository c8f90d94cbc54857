import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { buildDeps } from '../../src/runtime/deps.js';

const config = parseConfig('');
const offline = {
  endpoint: 'http://127.0.0.1:9',
  region: 'local',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
};

describe('the house deps: who sends webhooks, and who may make webhook schedules', () => {
  it('sends them where the signing key is, lets them be made where TMS_WEBHOOKS=on says the sweeper sends them, and nowhere else', () => {
    // Act
    const sweeper = buildDeps({ TMS_WEBHOOK_SECRET: 'key' }, { config, dynamo: offline });
    const api = buildDeps({ TMS_WEBHOOKS: 'on' }, { config, dynamo: offline });
    const neither = buildDeps({}, { config, dynamo: offline });
    // Assess
    expect([sweeper.webhooks !== undefined, sweeper.webhooksEnabled]).toEqual([true, true]);
    expect([api.webhooks !== undefined, api.webhooksEnabled]).toEqual([false, true]);
    expect([neither.webhooks !== undefined, neither.webhooksEnabled]).toEqual([false, false]);
  });
});
