import { DomainError, TransientError } from '../../core/errors.js';

/** A refusal or a mistake, as the person should read it. DomainError messages are written for people. */
export function explain(error: unknown): string {
  if (error instanceof DomainError) return error.message;
  if (error instanceof TransientError) return `${error.message}. Nothing was changed; please try again.`;
  return 'TMS could not do that just now; nothing was changed. Please try again.';
}

/** Modal error texts are plain: drop the mrkdwn of a message written for a channel. */
export const stripMrkdwn = (text: string) => text.replace(/<@([UW][A-Z0-9]+)>/g, '@$1').replace(/[*_`]/g, '');
