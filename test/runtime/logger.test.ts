import { spawnSync } from 'node:child_process';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { logger, withLambdaContext } from '../../src/runtime/logger.js';
import { captureLogs } from '../helpers/logs.js';

/** What Lambda hands a handler, as far as the logger reads it. */
function lambdaContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'tms-bot',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:tms-bot',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/tms-bot',
    logStreamName: '2026/12/03/[$LATEST]abc',
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

describe('withLambdaContext', () => {
  it('puts the invocation on every line: request id, function name, memory', async () => {
    // Prepare
    const handler = withLambdaContext(async (event: { n: number }) => {
      logger.info('handling', { n: event.n });
      logger.appendKeys({ taskId: `TMS-${event.n}` });
      logger.warn('still handling');
      return event.n * 2;
    });
    const logs = captureLogs();
    try {
      // Act
      const answers = [
        await handler({ n: 1 }, lambdaContext('req-1')),
        await handler({ n: 2 }, lambdaContext('req-2')),
      ];
      // Assess
      expect(answers).toEqual([2, 4]);
      expect(logs.lines.map((l) => [l.message, l.function_request_id])).toEqual([
        ['handling', 'req-1'],
        ['still handling', 'req-1'],
        ['handling', 'req-2'],
        ['still handling', 'req-2'],
      ]);
      for (const line of logs.lines) {
        expect(line).toMatchObject({
          function_name: 'tms-bot',
          function_memory_size: '512',
          function_arn: 'arn:aws:lambda:eu-west-1:123456789012:function:tms-bot',
          service: 'tms',
          cold_start: false, // off Lambda no initialization type is known: no line claims a cold start
        });
      }
      // A key appended in one invocation is gone by the start of the next.
      expect(logs.lines[2]).not.toHaveProperty('taskId');
      expect(logs.lines[3]).toMatchObject({ taskId: 'TMS-2' });
    } finally {
      logs.restore();
    }
  });

  it('drops the invocation keys when the handler throws, and passes the error on', async () => {
    const handler = withLambdaContext(async () => {
      logger.appendKeys({ taskId: 'TMS-9' });
      throw new Error('boom');
    });
    const logs = captureLogs();
    try {
      await expect(handler({}, lambdaContext('req-3'))).rejects.toThrow('boom');
      logger.info('after');
      expect(logs.lines.at(-1)).not.toHaveProperty('taskId');
    } finally {
      logs.restore();
    }
  });

  it('says cold start on the first invocation of a container only, as on Lambda', () => {
    // Prepare: a fresh process that Lambda started on demand, as its environment says.
    const logger = new URL('../../src/runtime/logger.ts', import.meta.url).href;
    const script = `
      const { logger, withLambdaContext } = await import(${JSON.stringify(logger)});
      const handler = withLambdaContext(async () => logger.info('handled'));
      for (const id of ['req-1', 'req-2', 'req-3']) await handler({}, { awsRequestId: id, functionName: 'tms-api' });
    `;
    // Act
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', POWERTOOLS_LOG_LEVEL: 'INFO' },
      encoding: 'utf8',
    });
    // Assess
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.function_request_id, l.cold_start])).toEqual([
      ['req-1', true],
      ['req-2', false],
      ['req-3', false],
    ]);
  });
});
