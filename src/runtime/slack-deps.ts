import type { WebClient } from '@slack/web-api';
import { createSlackClient } from '../adapters/slack/client.js';
import type { BotDeps } from '../bot/context.js';
import { Directory } from '../bot/directory.js';
import type { HouseDeps } from './deps.js';

export type SlackHouseDeps = HouseDeps & BotDeps;

/**
 * The house deps plus Slack's client and the user directory, for the functions that talk to Slack. The
 * client is made on first use, so a job that never reaches Slack (the sweeper's redrive) runs without a bot
 * token, and a missing token fails only the work that needs it.
 */
export function withSlack(deps: HouseDeps): SlackHouseDeps {
  let slack: WebClient | undefined;
  let directory: Directory | undefined;
  const client = () => {
    slack ??= createSlackClient(deps.secrets.get('SLACK_BOT_TOKEN'), deps.slackSettings.apiUrl);
    return slack;
  };
  return Object.defineProperties(
    { ...deps },
    {
      slack: { enumerable: true, get: client },
      directory: {
        enumerable: true,
        get: () => {
          directory ??= new Directory(client(), deps.config, () => deps.clock.now().getTime());
          return directory;
        },
      },
    },
  ) as SlackHouseDeps;
}
