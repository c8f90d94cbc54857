/**
 * What Slack accepts, from its Block Kit and Web API reference: one table that the renderers bound their
 * text by and the local Slack emulator refuses by, so a test that posts through the emulator fails where
 * Slack would. Lengths count UTF-16 code units, which is never fewer than the characters Slack counts.
 */
export const SLACK_LIMITS = {
  /** chat.postMessage / chat.update `text`: over it Slack answers `msg_too_long`. */
  messageText: 40_000,
  messageBlocks: 50,
  /** Modals and App Home. */
  viewBlocks: 100,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  headerText: 150,
  contextElements: 10,
  contextText: 3_000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  optionText: 75,
  optionValue: 150,
  selectOptions: 100,
  placeholder: 150,
  inputLabel: 2_000,
  inputHint: 2_000,
  textInputMaxLength: 3_000,
  blockId: 255,
  actionId: 255,
  viewTitle: 24,
  viewButton: 24,
  privateMetadata: 3_000,
  callbackId: 255,
} as const;

export type Surface = 'message' | 'modal' | 'home';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Slack's complaints about a message's or a view's blocks, worded as Slack words them in
 * `response_metadata.messages` (`[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`).
 * Empty when Slack would take them. Checks the limits TMS could break with what people and sources typed, and
 * the shape of the blocks TMS sends; not all of Block Kit.
 */
export function blockErrors(blocks: unknown, surface: Surface, base = ''): string[] {
  const errors: string[] = [];
  const fail = (pointer: string, message: string) =>
    errors.push(`[ERROR] ${message} [json-pointer:${base}${pointer}]`);
  if (!Array.isArray(blocks)) {
    fail('/blocks', 'must provide an array');
    return errors;
  }
  const maxBlocks = surface === 'message' ? SLACK_LIMITS.messageBlocks : SLACK_LIMITS.viewBlocks;
  if (blocks.length > maxBlocks) fail('/blocks', `no more than ${maxBlocks} items allowed`);
  const text = (value: unknown, pointer: string, max: number, plainOnly = false) => {
    if (!isObject(value) || typeof value.text !== 'string') {
      fail(pointer, 'must be a text object');
      return;
    }
    if (value.type !== 'plain_text' && (plainOnly || value.type !== 'mrkdwn'))
      fail(`${pointer}/type`, plainOnly ? 'must be plain_text' : 'must be one of plain_text, mrkdwn');
    if (value.text.length === 0) fail(`${pointer}/text`, 'must be more than 0 characters');
    if (value.text.length > max) fail(`${pointer}/text`, `must be less than ${max + 1} characters`);
  };
  const id = (value: unknown, pointer: string, max: number) => {
    if (value !== undefined && (typeof value !== 'string' || value.length > max))
      fail(pointer, `must be less than ${max + 1} characters`);
  };
  const option = (value: unknown, pointer: string) => {
    if (!isObject(value)) return fail(pointer, 'must be an object');
    text(value.text, `${pointer}/text`, SLACK_LIMITS.optionText, true);
    if (typeof value.value !== 'string' || value.value.length > SLACK_LIMITS.optionValue)
      fail(`${pointer}/value`, `must be less than ${SLACK_LIMITS.optionValue + 1} characters`);
  };
  const element = (value: unknown, pointer: string) => {
    if (!isObject(value)) return fail(pointer, 'must be an object');
    id(value.action_id, `${pointer}/action_id`, SLACK_LIMITS.actionId);
    if (value.placeholder !== undefined)
      text(value.placeholder, `${pointer}/placeholder`, SLACK_LIMITS.placeholder, true);
    switch (value.type) {
      case 'button':
        text(value.text, `${pointer}/text`, SLACK_LIMITS.buttonText, true);
        id(value.value, `${pointer}/value`, SLACK_LIMITS.buttonValue);
        return;
      case 'static_select':
        if (!Array.isArray(value.options) || value.options.length === 0)
          return fail(`${pointer}/options`, 'must provide an array of at least 1 item');
        if (value.options.length > SLACK_LIMITS.selectOptions)
          fail(`${pointer}/options`, `no more than ${SLACK_LIMITS.selectOptions} items allowed`);
        for (const [i, o] of value.options.entries()) option(o, `${pointer}/options/${i}`);
        if (value.initial_option !== undefined) option(value.initial_option, `${pointer}/initial_option`);
        return;
      case 'plain_text_input':
        if (typeof value.max_length === 'number' && value.max_length > SLACK_LIMITS.textInputMaxLength)
          fail(`${pointer}/max_length`, `must be less than ${SLACK_LIMITS.textInputMaxLength + 1}`);
        return;
      case 'users_select':
      case 'conversations_select':
      case 'channels_select':
      case 'datepicker':
        return;
      default:
        fail(`${pointer}/type`, 'must be a valid enum value');
    }
  };
  const check = (block: unknown, i: number) => {
    const at = `/blocks/${i}`;
    if (!isObject(block)) return fail(at, 'must be an object');
    id(block.block_id, `${at}/block_id`, SLACK_LIMITS.blockId);
    switch (block.type) {
      case 'section': {
        if (block.text === undefined && block.fields === undefined)
          return fail(at, 'must provide either text or fields');
        if (block.text !== undefined) text(block.text, `${at}/text`, SLACK_LIMITS.sectionText);
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields) || block.fields.length === 0)
            return fail(`${at}/fields`, 'must provide an array of at least 1 item');
          if (block.fields.length > SLACK_LIMITS.sectionFields)
            fail(`${at}/fields`, `no more than ${SLACK_LIMITS.sectionFields} items allowed`);
          for (const [j, f] of block.fields.entries()) text(f, `${at}/fields/${j}`, SLACK_LIMITS.fieldText);
        }
        if (block.accessory !== undefined) element(block.accessory, `${at}/accessory`);
        return;
      }
      case 'header':
        return text(block.text, `${at}/text`, SLACK_LIMITS.headerText, true);
      case 'context': {
        if (!Array.isArray(block.elements) || block.elements.length === 0)
          return fail(`${at}/elements`, 'must provide an array of at least 1 item');
        if (block.elements.length > SLACK_LIMITS.contextElements)
          fail(`${at}/elements`, `no more than ${SLACK_LIMITS.contextElements} items allowed`);
        for (const [j, e] of block.elements.entries())
          text(e, `${at}/elements/${j}`, SLACK_LIMITS.contextText);
        return;
      }
      case 'actions': {
        if (!Array.isArray(block.elements) || block.elements.length === 0)
          return fail(`${at}/elements`, 'must provide an array of at least 1 item');
        if (block.elements.length > SLACK_LIMITS.actionsElements)
          fail(`${at}/elements`, `no more than ${SLACK_LIMITS.actionsElements} items allowed`);
        for (const [j, e] of block.elements.entries()) element(e, `${at}/elements/${j}`);
        return;
      }
      case 'input':
        text(block.label, `${at}/label`, SLACK_LIMITS.inputLabel, true);
        if (block.hint !== undefined) text(block.hint, `${at}/hint`, SLACK_LIMITS.inputHint, true);
        if (surface === 'message') fail(`${at}/type`, 'input blocks are only allowed in modals');
        return element(block.element, `${at}/element`);
      case 'divider':
        return;
      default:
        fail(`${at}/type`, 'must be a valid enum value');
    }
  };
  for (const [i, block] of blocks.entries()) check(block, i);
  return errors;
}

/** What views.open, views.update and views.publish would refuse in a view, worded as Slack words it. */
export function viewErrors(view: Json): string[] {
  const surface: Surface = view.type === 'home' ? 'home' : 'modal';
  const errors = blockErrors(view.blocks, surface, '/view');
  const text = (key: string, max: number) => {
    const value = view[key];
    if (value === undefined && key !== 'title') return;
    if (!isObject(value) || typeof value.text !== 'string' || value.type !== 'plain_text')
      errors.push(`[ERROR] must be a plain_text object [json-pointer:/view/${key}]`);
    else if (value.text.length > max)
      errors.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:/view/${key}/text]`);
  };
  if (surface === 'modal') {
    text('title', SLACK_LIMITS.viewTitle);
    text('submit', SLACK_LIMITS.viewButton);
    text('close', SLACK_LIMITS.viewButton);
  }
  for (const [key, max] of [
    ['private_metadata', SLACK_LIMITS.privateMetadata],
    ['callback_id', SLACK_LIMITS.callbackId],
  ] as const) {
    const value = view[key];
    if (value !== undefined && (typeof value !== 'string' || value.length > max))
      errors.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:/view/${key}]`);
  }
  return errors;
}
