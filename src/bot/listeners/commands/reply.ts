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
