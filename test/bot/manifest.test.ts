import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The scope each Web API method needs (https://api.slack.com/methods): the manifest must ask for exactly
 * the scopes of the methods the code calls, plus `commands` for the slash command, and
 * `chat:write.public` for posting cards in public channels TMS was not invited to.
 */
const METHOD_SCOPES: Record<string, readonly string[]> = {
  'chat.postMessage': ['chat:write', 'chat:write.public'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.getPermalink': [],
  'views.open': [],
  'views.update': [],
  'views.publish': [],
  'users.info': ['users:read'],
  'usergroups.users.list': ['usergroups:read'],
  'usergroups.users.update': ['usergroups:write'],
  'conversations.join': ['channels:join'],
  'conversations.info': ['channels:read'],
  'conversations.open': ['im:write'],
};

/** Everything under src/ that talks to Slack (the local emulator plays Slack; it is not a client of it). */
function slackSources(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== join('src', 'local')) walk(path);
      } else if (path.endsWith('.ts')) files.push(path);
    }
  };
  walk('src');
  return files.map((f) => readFileSync(f, 'utf8')).join('\n');
}

const manifest = parse(readFileSync('manifest.yml', 'utf8'));
const code = slackSources();
const methodsUsed = [
  ...new Set(
    [
      ...code.matchAll(
        /\.(chat|views|users|usergroups|conversations|reactions|team|im)\.([a-zA-Z]+(?:\.[a-zA-Z]+)?)\(/g,
      ),
    ].map((m) => `${m[1]}.${m[2]}`),
  ),
].sort();

describe('manifest.yml', () => {
  it('finds the Web API methods the code calls (a sanity check of the scan itself)', () => {
    expect(methodsUsed).toEqual(
      expect.arrayContaining([
        'chat.postMessage',
        'chat.update',
        'views.open',
        'views.publish',
        'usergroups.users.list',
      ]),
    );
  });

  it('knows the scope of every method the code calls', () => {
    expect(methodsUsed.filter((m) => !(m in METHOD_SCOPES))).toEqual([]);
  });

  it('asks for exactly the scopes the code needs, no more', () => {
    const needed = new Set(['commands', ...methodsUsed.flatMap((m) => METHOD_SCOPES[m] ?? [])]);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });

  it('declares every slash command the code listens to, escaped so mentions arrive as ids', () => {
    const listened = [...code.matchAll(/app\.command(?:<\w+>)?\('([^']+)'/g)].map((m) => m[1]);
    const declared = manifest.features.slash_commands.map((c: { command: string }) => c.command);
    expect(declared.sort()).toEqual(listened.sort());
    for (const command of manifest.features.slash_commands) {
      expect(command.should_escape).toBe(true);
      expect(command.url).toMatch(/\/slack\/events$/);
    }
  });

  it('subscribes to every event the code listens to, and only those', () => {
    const listened = [...code.matchAll(/app\.event(?:<\w+>)?\('([^']+)'/g)].map((m) => m[1]);
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(listened.sort());
  });

  it('turns on what the code uses: interactivity, App Home and the messages tab for direct messages', () => {
    expect(code).toMatch(/app\.(action|view)(<\w+>)?\(/);
    expect(manifest.settings.interactivity).toMatchObject({ is_enabled: true });
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.features.app_home).toMatchObject({ home_tab_enabled: true, messages_tab_enabled: true });
  });
});
