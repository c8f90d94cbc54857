import type { BotDeps } from './context.js';

/** How long a double click or a Slack retry is remembered. */
const SEEN_FOR_MS = 60 * 60_000;
/**
 * How long a click or an event being handled keeps a second one away: the bot's Lambda timeout (15 s,
 * infra/stack.ts), so no invocation outlives it. One that died halfway (a killed process, a timeout) leaves
 * its marker in progress; after this the same click, or Slack's retry of the event, does the work.
 */
export const HANDLING_LEASE_MS = 15_000;

/** A claim on a marker for the next HANDLING_LEASE_MS, and until when a done one is remembered. */
export function handling(deps: BotDeps) {
  const now = deps.clock.now().getTime();
  return {
    claim: {
      token: deps.newId(),
      now: new Date(now).toISOString(),
      leaseUntil: new Date(now + HANDLING_LEASE_MS).toISOString(),
    },
    expires: new Date(now + SEEN_FOR_MS).toISOString(),
  };
}
