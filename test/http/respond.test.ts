import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/core/errors.js';
import { applyAction } from '../../src/core/lifecycle.js';
import { fromError } from '../../src/http/respond.js';
import { aTask, slack } from '../helpers/factories.js';
import { captureLogs } from '../helpers/logs.js';

const body = (answer: ReturnType<typeof fromError>) => JSON.parse(String(answer.body));

describe('fromError', () => {
  it('answers a refusal with its status, its plain sentence and its context', () => {
    // Prepare: a second claimer is refused.
    const claimed = applyAction(
      aTask({ id: 'TMS-7', status: 'acknowledged', assignee: 'U0ANA' }),
      { type: 'claim' },
      slack('U0BEN'),
    );
    if (claimed.ok) throw new Error('the claim should be refused');
    // Act
    const answer = fromError(claimed.error);
    // Assess
    expect(answer.statusCode).toBe(409);
    expect(body(answer)).toEqual({
      error: {
        code: 'TASK_ALREADY_CLAIMED',
        message: 'TMS-7 is already claimed by U0ANA',
        context: { taskId: 'TMS-7', status: 'acknowledged', action: 'claim', user: 'U0BEN', holder: 'U0ANA' },
      },
    });
  });

  it('answers a passing fault as retryable, and an unknown one with the correlation id its log line has', () => {
    expect(fromError(new TransientError('DynamoDB is busy'))).toMatchObject({
      statusCode: 503,
      headers: { 'retry-after': '1' },
    });
    const logs = captureLogs();
    try {
      const answer = fromError(new Error('secret detail'));
      expect(answer.statusCode).toBe(500);
      const { error } = body(answer);
      expect(error.code).toBe('INTERNAL');
      expect(error.message).not.toContain('secret detail');
      const id = /correlation id ([0-9a-f-]{36})/.exec(error.message)?.[1];
      const line = logs.lines.find((l) => l.message === 'unexpected failure');
      expect(line).toMatchObject({ level: 'ERROR', correlationId: id, error: { message: 'secret detail' } });
    } finally {
      logs.restore();
    }
  });
});
