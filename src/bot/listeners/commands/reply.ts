import type { View } from '@slack/web-api';
import type { Role } from '../../../core/rbac.js';
import type { TmsCommand } from '../../command.js';

/** What a command is answered with: a message only the person sees, or a modal to open. */
export type Reply = { readonly text: string; readonly blocks?: unknown[] } | { readonly modal: View };

/** What Slack sent with `/tms`: who, from which channel, and the text after the command. */
export interface CommandInput {
  readonly user: string;
  readonly channel: string;
  readonly text: string;
}

/** Who asked, and where: what every subcommand reads besides its own words. */
export interface Asker {
  readonly user: string;
  readonly channel: string;
  readonly role: Role;
}

/** One subcommand's parsed form. */
export type CommandOf<Name extends TmsCommand['name']> = Extract<TmsCommand, { name: Name }>;

export const text = (t: string): Reply => ({ text: t });

/** What one section's text holds, under Slack's 3,000 characters with room for what escaping adds. */
const SECTION_BUDGET = 2_800;

/** Lines in as few sections as fit (a page of long titles with links would not fit in one); a line is never split. */
export function sections(
  lines: readonly string[],
): { type: 'section'; text: { type: 'mrkdwn'; text: string } }[] {
  const chunks: string[][] = [[]];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > SECTION_BUDGET && (chunks.at(-1) as string[]).length > 0) {
      chunks.push([]);
      size = 0;
    }
    (chunks.at(-1) as string[]).push(line);
    size += line.length + 1;
  }
  return chunks.map((chunk) => ({ type: 'section', text: { type: 'mrkdwn', text: chunk.join('\n') } }));
}
