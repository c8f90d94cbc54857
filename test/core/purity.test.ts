import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// A scratch tree with the project's own Biome config, so the rule `npm test` enforces on src/core is the one tried.
const root = mkdtempSync(join(tmpdir(), 'tms-purity-'));
const config = JSON.parse(readFileSync('biome.json', 'utf8'));
writeFileSync(
  join(root, 'biome.json'),
  JSON.stringify({ ...config, $schema: undefined, vcs: { enabled: false } }),
);
mkdirSync(join(root, 'src/core'), { recursive: true });
const biome = resolve('node_modules/.bin/biome');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function lintAsCore(source: string) {
  writeFileSync(join(root, 'src/core/probe.ts'), source);
  const run = spawnSync(biome, ['lint', 'src/core/probe.ts'], { cwd: root, encoding: 'utf8' });
  return { failed: run.status !== 0, output: `${run.stdout}${run.stderr}` };
}

describe('src/core stays pure', () => {
  it.each([
    ["import { SNSClient } from '@aws-sdk/client-sns';", 'reach AWS, Slack and CDK through a port'],
    ["import { App } from '@slack/bolt';", 'reach AWS, Slack and CDK through a port'],
    ["import { Stack } from 'aws-cdk-lib';", 'reach AWS, Slack and CDK through a port'],
    ["import { readFileSync } from 'node:fs';", 'no I/O'],
    [
      "import { DynamoTaskStore } from '../adapters/dynamo/task-store.js';",
      'must not depend on the layers around it',
    ],
  ])('refuses %s', (line, reason) => {
    const result = lintAsCore(`${line}\nexport const used = [${line.match(/\{ (\w+) \}/)?.[1]}];\n`);
    expect(result.failed).toBe(true);
    expect(result.output).toContain(reason);
  });

  it('accepts the libraries the core is allowed', () => {
    const result = lintAsCore(
      "import { z } from 'zod';\nimport { formatDistanceStrict } from 'date-fns';\nexport const used = [z, formatDistanceStrict];\n",
    );
    expect(result.output).not.toContain('noRestrictedImports');
    expect(result.failed).toBe(false);
  });
});
