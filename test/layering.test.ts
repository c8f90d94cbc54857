import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// A scratch tree linted with the project's own biome.json, so the rule tried is the one `npm test` enforces:
// core ← adapters ← ingest, http ← bot, jobs ← handlers (with runtime, the composition root) ← local.
const config = JSON.parse(readFileSync('biome.json', 'utf8'));
const biome = resolve('node_modules/.bin/biome');
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Lints a tree of files (path → source) with the project's rules; what Biome said and whether it refused. */
function lint(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'tms-layering-'));
  roots.push(root);
  writeFileSync(
    join(root, 'biome.json'),
    JSON.stringify({ ...config, $schema: undefined, vcs: { enabled: false } }),
  );
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
  }
  const run = spawnSync(biome, ['lint', 'src'], { cwd: root, encoding: 'utf8' });
  return { refused: run.status !== 0, output: `${run.stdout}${run.stderr}` };
}

/** A module at `from` that imports `what` (relative, as the code writes it), and the module imported. */
function importing(from: string, what: string): Record<string, string> {
  const target = join(dirname(from), what).replace(/\.js$/, '.ts');
  return {
    [from]: `import { thing } from '${what}';\nexport const used = [thing];\n`,
    [target]: 'export const thing = 1;\n',
  };
}

describe('the layering rule', () => {
  it.each([
    ['src/adapters/dynamo/probe.ts', '../../jobs/sweeper.js', 'src/adapters implement the ports'],
    ['src/adapters/slack/probe.ts', '../../runtime/secrets.js', 'src/adapters implement the ports'],
    ['src/ingest/probe.ts', '../bot/app.js', 'src/ingest reads senders'],
    ['src/http/probe.ts', '../adapters/dynamo/table.js', 'src/http shapes HTTP answers'],
    ['src/jobs/probe.ts', '../runtime/deps.js', 'src/jobs run on a schedule'],
    ['src/jobs/probe.ts', '../handlers/bot.js', 'src/jobs run on a schedule'],
    ['src/jobs/probe.ts', '../bot/commands.js', "src/jobs use only the bot's pure views"],
    ['src/jobs/probe.ts', '../bot/app.js', "src/jobs use only the bot's pure views"],
    ['src/bot/probe.ts', '../handlers/api.js', 'src/bot (the Slack surface)'],
    ['src/bot/context.ts', '../runtime/deps.js', 'src/bot (the Slack surface)'],
    ['src/handlers/probe.ts', '../local/stack.js', 'src/handlers are the Lambda entries'],
    ['src/runtime/probe.ts', '../handlers/api.js', 'src/runtime is the composition root'],
  ])('refuses %s importing %s', (from, what, reason) => {
    const result = lint(importing(from, what));
    expect(result.refused).toBe(true);
    expect(result.output).toContain(reason);
  });

  it.each([
    ['src/jobs/probe.ts', '../runtime/logger.js'],
    ['src/jobs/probe.ts', '../bot/card.js'],
    ['src/jobs/probe.ts', '../bot/text.js'],
    ['src/ingest/probe.ts', '../adapters/dynamo/table.js'],
    ['src/bot/probe.ts', '../jobs/sweeper.js'],
    ['src/handlers/probe.ts', '../runtime/deps.js'],
    ['src/local/probe.ts', '../handlers/api.js'],
  ])('lets %s import %s', (from, what) => {
    const result = lint(importing(from, what));
    expect(result.output).not.toContain('noRestrictedImports');
    expect(result.refused).toBe(false);
  });

  it('refuses an import cycle, type-only imports included', () => {
    const result = lint({
      'src/jobs/a.ts': "import type { B } from './b.js';\nexport type A = { b?: B };\n",
      'src/jobs/b.ts': "import type { A } from './a.js';\nexport type B = { a?: A };\n",
    });
    expect(result.refused).toBe(true);
    expect(result.output).toContain('noImportCycles');
  });
});
