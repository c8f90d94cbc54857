/** Modal error texts are plain: drop the mrkdwn of a message written for a channel. */
export const stripMrkdwn = (text: string) => text.replace(/<@([UW][A-Z0-9]+)>/g, '@$1').replace(/[*_`]/g, '');
