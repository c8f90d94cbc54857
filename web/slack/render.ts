import { type Child, h } from '../shared/dom.js';
import { emojify, formatSlackDate, type Inline, type Block as MrkdwnBlock, parseMrkdwn } from './mrkdwn.js';

/** A Block Kit object as the emulator holds it: read field by field, as a sender may send anything. */
// biome-ignore lint/suspicious/noExplicitAny: Block Kit JSON is examined field by field, each checked
export type Json = any;

export interface Directory {
  readonly users: ReadonlyMap<string, string>;
  readonly channels: ReadonlyMap<string, string>;
  /** The people a users_select offers. */
  readonly people: readonly { id: string; name: string }[];
  /** The channels a conversations_select offers: the config's and those with messages. */
  readonly conversations: readonly { id: string; name: string }[];
}

/** What a person did to an interactive element: the page sends it as Slack would. */
export interface Interaction {
  readonly blockId: string;
  readonly actionId: string;
  readonly value?: string;
  readonly selectedUser?: string;
  readonly selectedConversation?: string;
  readonly selectedDate?: string;
  readonly selectedTime?: string;
}

export interface RenderContext {
  readonly directory: Directory;
  readonly now: number;
  /** Undefined: the elements are drawn but do nothing (a modal's inputs are read on submit instead). */
  readonly act?: (interaction: Interaction, control: HTMLElement) => void;
  /** A modal's errors by block id, shown under its inputs. */
  readonly errors?: Readonly<Record<string, string>>;
}

/** mrkdwn text as elements, text set as text nodes only. */
export function mrkdwn(text: string, context: RenderContext): HTMLElement {
  return h(
    'div',
    { class: 'mrkdwn' },
    parseMrkdwn(text).map((block) => mrkdwnBlock(block, context)),
  );
}

function mrkdwnBlock(block: MrkdwnBlock, context: RenderContext): HTMLElement {
  if (block.type === 'pre') return h('pre', {}, block.text);
  if (block.type === 'quote') return h('blockquote', {}, inline(block.children, context));
  return h('p', {}, inline(block.children, context));
}

function inline(nodes: readonly Inline[], context: RenderContext): Child[] {
  return nodes.flatMap((node) => inlineNode(node, context));
}

function inlineNode(node: Inline, context: RenderContext): Child | Child[] {
  switch (node.type) {
    case 'text':
      return lines(node.text);
    case 'bold':
      return h('b', {}, inline(node.children, context));
    case 'italic':
      return h('i', {}, inline(node.children, context));
    case 'strike':
      return h('s', {}, inline(node.children, context));
    case 'code':
      return h('code', {}, node.text);
    case 'link':
      return link(node.url, node.label);
    case 'user': {
      const name = context.directory.users.get(node.id) ?? node.label ?? node.id;
      return h('span', { class: 'mention', 'data-user': node.id }, `@${name}`);
    }
    case 'channel': {
      const name = context.directory.channels.get(node.id) ?? node.label ?? node.id;
      return h('span', { class: 'mention channel' }, `#${name}`);
    }
    case 'usergroup':
      return h('span', { class: 'mention' }, node.label ?? `@${node.id}`);
    case 'special':
      return h('span', { class: 'mention special' }, `@${node.name.split('|')[0]}`);
    case 'date': {
      const shown = formatSlackDate(node.epoch, node.format, context.now) || node.fallback;
      // parseInline keeps only dates a Date holds; a node made elsewhere still must not throw here.
      const at = new Date(node.epoch * 1000);
      const time = h(
        'time',
        { datetime: Number.isNaN(at.getTime()) ? undefined : at.toISOString(), title: node.fallback },
        shown,
      );
      return node.link
        ? h('a', { href: node.link, target: '_blank', rel: 'noopener noreferrer' }, time)
        : time;
    }
    case 'emoji':
      return h('span', { class: 'emoji', title: `:${node.name}:` }, node.char);
    case 'break':
      return h('br');
  }
}

/** A link: a permalink of this offline Slack opens here, as Slack opens its own; anything else in a new tab. */
function link(url: string, label: Child): HTMLElement {
  const own = url.startsWith(`${location.origin}/_sandbox/slack/`);
  return h('a', own ? { href: url } : { href: url, target: '_blank', rel: 'noopener noreferrer' }, label);
}

/** A text with its newlines as line breaks. */
function lines(text: string): Child[] {
  const out: Child[] = [];
  text.split('\n').forEach((line, i) => {
    if (i > 0) out.push(h('br'));
    if (line) out.push(line);
  });
  return out;
}

/** A text object: mrkdwn read as mrkdwn, plain_text as it is (with its emoji). */
export function textObject(text: Json, context: RenderContext): Child {
  if (!text || typeof text !== 'object' || typeof text.text !== 'string') return null;
  if (text.type === 'mrkdwn') return mrkdwn(text.text, context);
  return h('span', { class: 'plain' }, text.emoji === false ? text.text : emojify(text.text));
}

function plain(text: Json): string {
  return text && typeof text.text === 'string' ? emojify(text.text) : '';
}

/** Blocks as Slack draws them; one it does not know is named, not dropped. */
export function renderBlocks(blocks: readonly Json[], context: RenderContext): HTMLElement {
  return h(
    'div',
    { class: 'blocks' },
    blocks.map((block, index) => renderBlock(block, index, context)),
  );
}

function renderBlock(block: Json, index: number, context: RenderContext): Child {
  if (!block || typeof block !== 'object') return null;
  const blockId = typeof block.block_id === 'string' ? block.block_id : `b${index}`;
  switch (block.type) {
    case 'section':
      return h(
        'section',
        { class: 'block section', 'data-block-id': blockId },
        h(
          'div',
          { class: 'section-body' },
          textObject(block.text, context),
          Array.isArray(block.fields) && block.fields.length > 0
            ? h(
                'div',
                { class: 'fields' },
                block.fields.map((field: Json) => h('div', { class: 'field' }, textObject(field, context))),
              )
            : null,
        ),
        block.accessory ? h('div', { class: 'accessory' }, element(block.accessory, blockId, context)) : null,
      );
    case 'context':
      return h(
        'div',
        { class: 'block context', 'data-block-id': blockId },
        (Array.isArray(block.elements) ? block.elements : []).map((e: Json) =>
          e?.type === 'image' ? image(e, 'context-image') : textObject(e, context),
        ),
      );
    case 'divider':
      return h('hr', { class: 'block divider' });
    case 'header':
      return h('h3', { class: 'block header', 'data-block-id': blockId }, plain(block.text));
    case 'actions':
      return h(
        'div',
        { class: 'block actions', 'data-block-id': blockId },
        (Array.isArray(block.elements) ? block.elements : []).map((e: Json) => element(e, blockId, context)),
      );
    case 'image':
      return h(
        'figure',
        { class: 'block image', 'data-block-id': blockId },
        block.title ? h('figcaption', {}, plain(block.title)) : null,
        image(block, 'block-image'),
      );
    case 'input':
      return inputBlock(block, blockId, context);
    default:
      return h('div', { class: 'block unsupported' }, `[${String(block.type)} block]`);
  }
}

function image(e: Json, className: string): HTMLElement {
  const alt = typeof e.alt_text === 'string' ? e.alt_text : '';
  const url = typeof e.image_url === 'string' && /^https?:\/\//.test(e.image_url) ? e.image_url : undefined;
  return url
    ? h('img', { class: className, src: url, alt, title: alt, loading: 'lazy' })
    : h('span', { class: `${className} alt` }, `[${alt}]`);
}

/** An interactive element; it sends what Slack would when `context.act` is set. */
export function element(e: Json, blockId: string, context: RenderContext): Child {
  if (!e || typeof e !== 'object') return null;
  const actionId = typeof e.action_id === 'string' ? e.action_id : '';
  const act = context.act;
  const common = { 'data-action-id': actionId, 'data-block-id': blockId };
  switch (e.type) {
    case 'button': {
      const button = h(
        'button',
        {
          type: 'button',
          class: `btn ${e.style === 'primary' || e.style === 'danger' ? e.style : ''}`,
          ...common,
        },
        plain(e.text),
      );
      button.addEventListener('click', () => {
        if (e.confirm && !window.confirm(plain(e.confirm.text) || 'Are you sure?')) return;
        if (typeof e.url === 'string' && /^https?:\/\//.test(e.url)) window.open(e.url, '_blank', 'noopener');
        act?.({ blockId, actionId }, button);
      });
      return button;
    }
    case 'static_select':
    case 'overflow': {
      const overflow = e.type === 'overflow';
      const select = h(
        'select',
        {
          class: overflow ? 'overflow' : 'select',
          'aria-label': overflow ? 'More actions' : plain(e.placeholder) || 'Select',
          ...common,
        },
        h(
          'option',
          { value: '', disabled: true, selected: !e.initial_option },
          overflow ? '⋯' : plain(e.placeholder) || 'Select an item',
        ),
        options(e),
      );
      if (e.initial_option?.value && !overflow) select.value = String(e.initial_option.value);
      select.addEventListener('change', () => {
        const value = select.value;
        if (overflow) select.value = '';
        act?.({ blockId, actionId, value }, select);
      });
      return select;
    }
    case 'users_select': {
      const select = h(
        'select',
        { class: 'select users', 'aria-label': plain(e.placeholder) || 'Pick someone', ...common },
        h(
          'option',
          { value: '', disabled: !act, selected: !e.initial_user },
          plain(e.placeholder) || 'Pick someone',
        ),
        context.directory.people.map((p) => h('option', { value: p.id }, `@${p.name}`)),
      );
      if (typeof e.initial_user === 'string') select.value = e.initial_user;
      select.addEventListener('change', () => {
        if (select.value) act?.({ blockId, actionId, selectedUser: select.value }, select);
      });
      return select;
    }
    case 'conversations_select': {
      const initial = typeof e.initial_conversation === 'string' ? e.initial_conversation : undefined;
      const listed = context.directory.conversations;
      // A conversation the modal opened with is offered even when the page knows no message of it.
      const offered =
        initial && !listed.some((c) => c.id === initial)
          ? [
              { id: initial, name: context.directory.channels.get(initial) ?? initial.toLowerCase() },
              ...listed,
            ]
          : listed;
      const select = h(
        'select',
        { class: 'select conversations', 'aria-label': plain(e.placeholder) || 'Pick a channel', ...common },
        h(
          'option',
          { value: '', disabled: !act, selected: !initial },
          plain(e.placeholder) || 'Pick a channel',
        ),
        offered.map((c) => h('option', { value: c.id }, `#${c.name}`)),
      );
      if (initial) select.value = initial;
      select.addEventListener('change', () => {
        if (select.value) act?.({ blockId, actionId, selectedConversation: select.value }, select);
      });
      return select;
    }
    case 'datepicker':
    case 'timepicker': {
      const date = e.type === 'datepicker';
      const input = h('input', {
        type: date ? 'date' : 'time',
        class: 'picker',
        'aria-label': plain(e.placeholder) || (date ? 'Pick a date' : 'Pick a time'),
        ...common,
      });
      const initial = date ? e.initial_date : e.initial_time;
      if (typeof initial === 'string') input.value = initial;
      input.addEventListener('change', () => {
        if (!input.value) return;
        act?.(
          { blockId, actionId, ...(date ? { selectedDate: input.value } : { selectedTime: input.value }) },
          input,
        );
      });
      return input;
    }
    case 'plain_text_input': {
      const attributes = {
        ...common,
        class: 'text-input',
        name: actionId,
        placeholder: plain(e.placeholder) || undefined,
        maxlength: typeof e.max_length === 'number' ? e.max_length : undefined,
      };
      const input = e.multiline
        ? h('textarea', { ...attributes, rows: 4 })
        : h('input', { ...attributes, type: 'text' });
      if (typeof e.initial_value === 'string') input.value = e.initial_value;
      return input;
    }
    case 'image':
      return image(e, 'accessory-image');
    default:
      return h('span', { class: 'unsupported' }, `[${String(e.type)}]`);
  }
}

function options(e: Json): Child[] {
  const option = (o: Json) => h('option', { value: String(o?.value ?? '') }, plain(o?.text));
  if (Array.isArray(e.option_groups))
    return e.option_groups.map((g: Json) =>
      h('optgroup', { label: plain(g?.label) }, (Array.isArray(g?.options) ? g.options : []).map(option)),
    );
  return (Array.isArray(e.options) ? e.options : []).map(option);
}

function inputBlock(block: Json, blockId: string, context: RenderContext): HTMLElement {
  const id = `input-${blockId}`;
  // An input's choice is sent on submit; only with dispatch_action does Slack send it at once as well.
  const { act: _act, ...quiet } = context;
  const control = element(block.element, blockId, block.dispatch_action === true ? context : quiet);
  if (control instanceof HTMLElement) control.id = id;
  const error = context.errors?.[blockId];
  return h(
    'div',
    { class: `block input${error ? ' has-error' : ''}`, 'data-block-id': blockId },
    h(
      'label',
      { for: id },
      plain(block.label),
      block.optional ? h('span', { class: 'optional' }, ' (optional)') : null,
    ),
    control,
    block.hint ? h('p', { class: 'hint' }, plain(block.hint)) : null,
    error ? h('p', { class: 'error', role: 'alert' }, error) : null,
  );
}
