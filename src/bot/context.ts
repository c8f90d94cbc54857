import type { WebClient } from '@slack/web-api';
import { DynamoCardStore } from '../adapters/dynamo/card-store.js';
import { TABLE } from '../adapters/dynamo/table.js';
import { createDocumentClient } from '../adapters/dynamo/task-store.js';
import { createSlackClient } from '../adapters/slack/client.js';
import type { SeenStore } from '../core/ports.js';
import { context } from '../runtime/context.js';
import { Directory } from './directory.js';
import type { Handoff } from './handoff.js';
import type { ProjectorDeps } from './projector.js';

export interface BotDeps extends ProjectorDeps {
  readonly seen: SeenStore;
}

let built: (ProjectorDeps & { seen: SeenStore }) | undefined;

/** The use-case deps plus what the Slack surface needs, built once per container. */
export function botContext(): BotDeps {
  if (!built) {
    const deps = context();
    const cards = new DynamoCardStore(createDocumentClient(), process.env.TMS_TABLE || TABLE.defaultName);
    const slack: WebClient = createSlackClient();
    built = { ...deps, cards, seen: cards, slack, directory: new Directory(slack, deps.config) };
  }
  return built;
}

export type { Handoff };
