import type { SandboxMessage } from './slack-emulator.js';
import type { SandboxSnsMessage } from './sns-emulator.js';

type Block = {
  type?: string;
  text?: { text?: string } | string;
  placeholder?: { text?: string };
  fields?: { text?: string }[];
  elements?: Block[];
  accessory?: Block;
};

const label = (e: Block) =>
  (typeof e.text === 'string' ? e.text : e.text?.text) ?? e.placeholder?.text ?? e.type ?? '';

/** Slack's markup as plain text for a terminal: mentions, links and dates readable, no escapes. */
export function plain(mrkdwn: string): string {
  return mrkdwn
    .replace(/<!date\^(\d+)\^[^|>]*\|([^>]*)>/g, (_, epoch: string, fallback: string) => {
      // A date beyond what a Date holds (the bot's bug, or a hostile text) is shown as its fallback.
      const at = new Date(Number(epoch) * 1000);
      return Number.isNaN(at.getTime()) ? fallback : at.toISOString().replace('.000Z', 'Z');
    })
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<#([A-Z0-9]+)(\|[^>]*)?>/g, '#$1')
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<!subteam\^([A-Z0-9]+)(\|[^>]*)?>/g, '@$1')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function blockLines(block: Block): string[] {
  const text = typeof block.text === 'string' ? block.text : block.text?.text;
  switch (block.type) {
    case 'header':
      return text ? [`== ${plain(text)} ==`] : [];
    case 'divider':
      return ['----'];
    case 'actions':
      // Buttons as [Acknowledge], selects as [Priority ▾]
      return [
        (block.elements ?? []).map((e) => `[${plain(label(e))}${e.type === 'button' ? '' : ' ▾'}]`).join(' '),
      ];
    case 'context':
      return [
        (block.elements ?? [])
          .map((e) => plain((typeof e.text === 'string' ? e.text : e.text?.text) ?? ''))
          .filter(Boolean)
          .join(' · '),
      ];
    default:
      return [
        ...(text ? plain(text).split('\n') : []).map((l, i, all) =>
          i === all.length - 1 && block.accessory ? `${l}  [${plain(label(block.accessory))}]` : l,
        ),
        // A field is a bold name and its value: one line each, "Name: value · value".
        ...(block.fields ?? []).map((f) => {
          const [name, ...value] = plain(f.text ?? '').split('\n');
          return value.length > 0
            ? `${name?.replace(/^\*(.*)\*$/, '$1')}: ${value.join(' · ')}`
            : (name ?? '');
        }),
      ];
  }
}

/** A message the bot posted or changed, as a few readable lines. */
export function renderMessage(kind: string, message: SandboxMessage): string {
  const where = message.ephemeral_user
    ? `${message.channel || 'response'} (only @${message.ephemeral_user})`
    : message.channel || 'response';
  const thread = message.thread_ts ? ` in thread ${message.thread_ts}` : '';
  const edits = message.edits > 0 ? `, edit ${message.edits}` : '';
  const body = message.blocks?.length
    ? (message.blocks as Block[]).flatMap(blockLines)
    : plain(message.text).split('\n');
  return [
    `slack ${kind} → ${where}${thread} [${message.ts}${edits}]`,
    ...body.filter((l) => l.trim() !== '').map((l) => `  │ ${l}`),
  ].join('\n');
}

export function renderSns(message: SandboxSnsMessage): string {
  return [
    `sns published → ${message.topicArn}`,
    `  │ ${message.subject ?? '(no subject)'}`,
    ...message.message.split('\n').map((l) => `  │ ${l}`),
  ].join('\n');
}
