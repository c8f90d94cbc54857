import { SLACK_LIMITS, type Surface } from '../adapters/slack/limits.js';
import { cut, httpUrl } from '../core/bounds.js';
import { isSlackUserId } from '../core/task.js';

/**
 * Text that Slack renders. Everything a person or a source typed passes through `escapeMrkdwn` before it is put
 * in mrkdwn, so `<!channel>`, `<@U…>` or `<https://evil|https://good>` in a title shows as typed and
 * pings or forges nothing. Slack asks for exactly these three entities and no others. The bidirectional
 * embedding, override and isolate controls go too: with them a title can show its text in another order than
 * it has (`\u202Eevil` reads "live"); the letters of right-to-left languages need none of them.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(BIDI_CONTROLS, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Slash-command text arrives with `&`, `<` and `>` encoded; the task stores what the person typed. */
export function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const ENTITY = /^&(?:amp|lt|gt);/;

/**
 * Mrkdwn of at most `max` code units, measured after escaping: cut only between tokens, so an entity
 * (`&amp;`), a `<!date^…>`, `<@U…>` or `<url|label>` token, and a surrogate pair are whole or gone. `atLine`
 * cuts at the last line break that fits instead, when it is past the middle (no line of a list is left half). Reads at most `max`
 * characters, so it is linear whatever the text.
 */
export function clip(text: string, max: number, options: { atLine?: boolean } = {}): string {
  if (text.length <= max) return text;
  const budget = Math.max(0, max - 1); // room for the ellipsis
  const head = text.slice(0, budget);
  let safe = 0;
  let line = -1;
  let i = 0;
  while (i < budget) {
    const code = head.charCodeAt(i);
    let end = i + 1;
    if (code === 0x3c /* < */) {
      const close = head.indexOf('>', i);
      if (close < 0) break; // the token does not fit: cut before it
      end = close + 1;
    } else if (code === 0x26 /* & */ && ENTITY.test(text.slice(i, i + 5))) {
      end = head.indexOf(';', i) + 1;
      if (end === 0) break;
    } else if (isHighSurrogate(code)) {
      end = i + 2;
    }
    if (end > budget) break;
    if (code === 0x0a /* \n */) line = i;
    i = end;
    safe = i;
  }
  // At a line only when that keeps most of the text: one early line break must not cost the rest.
  if (options.atLine && line >= budget / 2 && line <= budget - 1) return `${text.slice(0, line)}\n…`;
  return `${text.slice(0, safe).trimEnd()}…`;
}

/** What a person or a source typed, escaped for mrkdwn and then bounded: at most `max` characters as posted. */
export const mrkdwn = (text: string, max: number): string => clip(escapeMrkdwn(text), max);

/** A user mention: only ever for ids TMS checked, never for text someone typed. */
export function mention(userId: string): string {
  return isSlackUserId(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/**
 * A time every reader sees in their own time zone: Slack's `<!date^epoch^format|fallback>` token.
 * `format` uses Slack's tokens ({date_short_pretty}, {time}, {ago}...).
 */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const epoch = Math.floor(Date.parse(iso) / 1000);
  const fallback = `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${epoch}^${format}|${fallback}>`;
}

/** A link token is at most this long; a longer URL shows its label alone (a link is never cut in two). */
const LINK_MAX = 1_000;

/** A link whose label is escaped and bounded, and whose URL cannot close the link token early. */
export function link(url: string, label: string, labelMax = 300): string {
  const text = mrkdwn(label, labelMax);
  const parsed = httpUrl(url);
  if (!parsed) return text;
  const safe = parsed.toString();
  const token = `<${safe.replace(/[<>|]/g, encodeURIComponent)}|${text.replace(/\|/g, '¦')}>`;
  return token.length <= LINK_MAX ? token : text;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A text object within `max`: mrkdwn cut between tokens, plain text between characters. */
function fitText(value: unknown, max: number, atLine = false): unknown {
  if (!isObject(value) || typeof value.text !== 'string' || value.text.length <= max) return value;
  return {
    ...value,
    text: value.type === 'mrkdwn' ? clip(value.text, max, { atLine }) : cut(value.text, max),
  };
}

function fitElement(value: unknown): unknown {
  if (!isObject(value)) return value;
  const element: Json = { ...value };
  if (element.placeholder) element.placeholder = fitText(element.placeholder, SLACK_LIMITS.placeholder);
  if (element.type === 'button') element.text = fitText(element.text, SLACK_LIMITS.buttonText);
  const option = (o: unknown) => (isObject(o) ? { ...o, text: fitText(o.text, SLACK_LIMITS.optionText) } : o);
  if (Array.isArray(element.options))
    element.options = element.options.slice(0, SLACK_LIMITS.selectOptions).map(option);
  if (element.initial_option) element.initial_option = option(element.initial_option);
  return element;
}

/**
 * The last word on every message and view TMS sends: each text within what Slack takes for its place (section
 * 3,000, field 2,000, header 150, button and option 75...), at most 10 fields and context elements, and at
 * most 50 blocks in a message or 100 in a modal or App Home. Renderers bound what they put in a block for the
 * layout's sake; this makes sure no sum of those parts is ever refused.
 */
export function fitBlocks<T>(blocks: readonly T[], surface: Surface): T[] {
  const max = surface === 'message' ? SLACK_LIMITS.messageBlocks : SLACK_LIMITS.viewBlocks;
  return blocks.slice(0, max).map((value) => {
    if (!isObject(value)) return value;
    const block: Json = { ...value };
    switch (block.type) {
      case 'section':
        if (block.text) block.text = fitText(block.text, SLACK_LIMITS.sectionText, true);
        if (Array.isArray(block.fields))
          block.fields = block.fields
            .slice(0, SLACK_LIMITS.sectionFields)
            .map((f) => fitText(f, SLACK_LIMITS.fieldText, true));
        if (block.accessory) block.accessory = fitElement(block.accessory);
        break;
      case 'header':
        block.text = fitText(block.text, SLACK_LIMITS.headerText);
        break;
      case 'context':
        if (Array.isArray(block.elements))
          block.elements = block.elements
            .slice(0, SLACK_LIMITS.contextElements)
            .map((e) => fitText(e, SLACK_LIMITS.contextText));
        break;
      case 'actions':
        if (Array.isArray(block.elements))
          block.elements = block.elements.slice(0, SLACK_LIMITS.actionsElements).map(fitElement);
        break;
      case 'input':
        block.label = fitText(block.label, SLACK_LIMITS.inputLabel);
        if (block.hint) block.hint = fitText(block.hint, SLACK_LIMITS.inputHint);
        block.element = fitElement(block.element);
        break;
    }
    return block as T;
  });
}

/** A view whose blocks and title fit (see `fitBlocks`). */
export function fitView<T extends { type: string; blocks: readonly unknown[]; title?: unknown }>(view: T): T {
  return {
    ...view,
    blocks: fitBlocks(view.blocks, view.type === 'home' ? 'home' : 'modal'),
    ...(view.title ? { title: fitText(view.title, SLACK_LIMITS.viewTitle) } : {}),
  };
}

/** A message's `text` (its notification, or all of it when it has no blocks) within Slack's 40,000. */
export const messageText = (text: string, atLine = true): string =>
  clip(text, SLACK_LIMITS.messageText, { atLine });

/** A message ready for chat.postMessage, chat.update or a response_url: its text and its blocks bounded. */
export function fitMessage<T extends { text: string; blocks?: readonly unknown[] }>(message: T): T {
  return {
    ...message,
    text: messageText(message.text),
    ...(message.blocks ? { blocks: fitBlocks(message.blocks, 'message') } : {}),
  };
}
