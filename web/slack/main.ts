import './slack.css';
import { h, replace } from '../shared/dom.js';
import { type Directory, type Interaction, type Json, mrkdwn, renderBlocks } from './render.js';

/**
 * The offline Slack as a page: it polls `/_sandbox/slack/state` (a 204 when nothing changed), draws the
 * channels, threads, ephemeral replies and App Home of the person it is being, and sends what they do to
 * `/_sandbox/slack/send`, which signs it as Slack would and hands it to the bot.
 */

interface Message {
  channel: string;
  ts: string;
  thread_ts: string | null;
  text: string;
  blocks: Json[];
  edits: number;
  ephemeral_user?: string;
}

interface View {
  id: string;
  type: 'modal' | 'home';
  user: string | null;
  view: Json;
  updates: number;
}

interface State {
  version: string;
  messages: Message[];
  views: View[];
  users: { id: string; name: string; role: string }[];
  channels: { id: string; name: string }[];
  bot: { id: string; name: string };
}

/** The state route's answer: the whole state, or (with `since`, the version the page had) what changed after it. */
type StateAnswer = State & { since?: string; removed?: string[]; closed?: string[] };

interface SendAnswer {
  ok: boolean;
  status: number;
  error?: string;
  errors?: Record<string, string>;
  closed?: boolean;
}

const BASE = '/_sandbox/slack';
const POLL_MS = 1000;
/** Messages of a channel drawn at first, and how many more "Show older messages" draws: 2,000 cards drawn at once froze the page. */
const PAGE_SIZE = 200;

/** What the page shows: who it is being, where, the thread open, the message a permalink named. */
const ui = {
  me: '',
  place: { kind: 'channel', id: '' } as { kind: 'channel' | 'home'; id: string },
  thread: undefined as string | undefined,
  highlight: undefined as string | undefined,
  /** Slack's own notes to this person (a failed command, a refused one), by channel: never sent anywhere. */
  notes: new Map<string, { at: number; text: string }[]>(),
  /** A click's failure, under its message. */
  failed: new Map<string, string>(),
  modal: undefined as { id: string; updates: number } | undefined,
  /** Modals this page closed (submitted, cancelled): not opened again by a poll answered before the server knew. */
  dismissed: new Set<string>(),
  modalErrors: {} as Record<string, string>,
  /** How many of a channel's newest messages are drawn, by channel (PAGE_SIZE unless older ones were asked for). */
  shown: new Map<string, number>(),
};
let state: State | undefined;
/** Whether the channel was scrolled to its newest message when last looked at. */
let stuck = true;

const sidebar = h('nav', { class: 'sidebar', 'aria-label': 'Channels' });
const title = h('h1', { class: 'place-title' });
const list = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite' });
const composerInput = h('input', {
  name: 'text',
  class: 'composer-input',
  autocomplete: 'off',
  'aria-label': 'Message',
  placeholder: '/tms new Disk full on db-1 p2',
});
const composerHint = h('p', { class: 'composer-hint', role: 'status' });
const composer = h(
  'form',
  { class: 'composer' },
  composerInput,
  h('button', { type: 'submit', class: 'btn primary' }, 'Send'),
);
const threadPane = h('aside', { class: 'thread', 'aria-label': 'Thread', hidden: true });
const banner = h('p', { class: 'banner', role: 'alert', hidden: true });
const modal = h('dialog', { class: 'modal', 'aria-modal': 'true', 'aria-labelledby': 'modal-title' });
const meSelect = h('select', { class: 'me', 'aria-label': 'You are' });

function directory(): Directory {
  const users = new Map<string, string>((state?.users ?? []).map((u) => [u.id, u.name]));
  if (state) users.set(state.bot.id, state.bot.name);
  return {
    users,
    channels: new Map((state?.channels ?? []).map((c) => [c.id, c.name])),
    people: state?.users ?? [],
    // Read only by a conversations_select: every message drawn asks for a directory, and this walks them all.
    get conversations() {
      return places().filter((p) => !p.dm);
    },
  };
}

function visible(m: Message): boolean {
  return !m.ephemeral_user || m.ephemeral_user === ui.me;
}

function isReply(m: Message): boolean {
  return m.thread_ts !== null && m.thread_ts !== m.ts;
}

/** The channels: the config's and those with messages; DMs only the one of the person the page is being. */
function places(): { id: string; name: string; dm: boolean }[] {
  const named = new Map((state?.channels ?? []).map((c) => [c.id, c.name]));
  for (const m of state?.messages ?? [])
    if (!named.has(m.channel) && !m.channel.startsWith('D')) named.set(m.channel, m.channel.toLowerCase());
  const channels = [...named]
    .filter(([id]) => !id.startsWith('D'))
    .map(([id, name]) => ({ id, name, dm: false }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return [...channels, { id: dmOf(ui.me), name: 'TMS', dm: true }];
}

const dmOf = (user: string) => `D${user.slice(1)}`;

function renderSidebar(): void {
  const item = (label: string, active: boolean, attributes: Record<string, string>, onClick: () => void) => {
    const link = h(
      'button',
      {
        type: 'button',
        class: `place${active ? ' active' : ''}`,
        'aria-current': active ? 'page' : undefined,
        ...attributes,
      },
      label,
    );
    link.addEventListener('click', onClick);
    return h('li', {}, link);
  };
  const all = places();
  replace(
    sidebar,
    h('h2', {}, 'Channels'),
    h(
      'ul',
      {},
      all
        .filter((p) => !p.dm)
        .map((p) =>
          item(
            `# ${p.name}`,
            ui.place.kind === 'channel' && ui.place.id === p.id,
            { 'data-channel': p.id },
            () => go({ kind: 'channel', id: p.id }),
          ),
        ),
    ),
    h('h2', {}, 'Apps'),
    h(
      'ul',
      {},
      item('TMS · Home', ui.place.kind === 'home', { 'data-place': 'home' }, () =>
        go({ kind: 'home', id: '' }),
      ),
      item(
        'TMS · Messages',
        ui.place.kind === 'channel' && ui.place.id === dmOf(ui.me),
        { 'data-channel': dmOf(ui.me) },
        () => go({ kind: 'channel', id: dmOf(ui.me) }),
      ),
    ),
  );
}

function go(place: { kind: 'channel' | 'home'; id: string }): void {
  ui.place = place;
  stuck = true;
  ui.thread = undefined;
  ui.highlight = undefined;
  const path = `${BASE}/`;
  const query = new URLSearchParams({
    user: ui.me,
    ...(place.kind === 'home' ? { tab: 'home' } : { channel: place.id }),
  });
  history.replaceState(null, '', `${path}?${query}`);
  if (place.kind === 'home') void send({ kind: 'app_home_opened', user: ui.me });
  render();
}

/** One message as Slack draws it. */
function messageElement(m: Message, replies: number, inThread: boolean): HTMLElement {
  const context = {
    directory: directory(),
    now: Date.now(),
    act: (interaction: Interaction, control: HTMLElement) => {
      void act({ type: 'message', channel: m.channel, ts: m.ts }, interaction, control, m.ts);
    },
  };
  const at = new Date(Number(m.ts.split('.')[0]) * 1000);
  const body = m.blocks.length > 0 ? renderBlocks(m.blocks, context) : mrkdwn(m.text, context);
  const failed = ui.failed.get(m.ts);
  const article = h(
    'article',
    {
      class: `message${m.ephemeral_user ? ' ephemeral' : ''}${ui.highlight === m.ts ? ' highlight' : ''}`,
      'data-ts': m.ts,
      'data-edits': m.edits,
    },
    h('div', { class: 'avatar', 'aria-hidden': 'true' }, 'T'),
    h(
      'div',
      { class: 'message-main' },
      h(
        'div',
        { class: 'message-head' },
        h('span', { class: 'author' }, 'TMS'),
        h('span', { class: 'app-badge' }, 'APP'),
        h(
          'time',
          { datetime: at.toISOString(), title: at.toString() },
          at.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' }),
        ),
        m.edits > 0 ? h('span', { class: 'edited' }, '(edited)') : null,
      ),
      body,
      m.ephemeral_user ? h('p', { class: 'only-you' }, '👁 Only visible to you') : null,
      failed ? h('p', { class: 'failed', role: 'alert' }, `⚠ ${failed}`) : null,
      !inThread && replies > 0 ? threadLink(m, replies) : null,
    ),
  );
  return article;
}

function threadLink(m: Message, replies: number): HTMLElement {
  const link = h(
    'button',
    { type: 'button', class: 'replies', 'data-thread': m.ts },
    `${replies} ${replies === 1 ? 'reply' : 'replies'}`,
  );
  link.addEventListener('click', () => {
    ui.thread = m.ts;
    render();
  });
  return link;
}

/** A message that throws while drawn (blocks no one foresaw) is shown as such: the rest of the channel still is. */
function drawnSafely(m: Message, replies: number, inThread: boolean): HTMLElement {
  try {
    return messageElement(m, replies, inThread);
  } catch {
    return h(
      'article',
      { class: 'message broken', 'data-ts': m.ts, 'data-edits': m.edits },
      h('div', { class: 'avatar', 'aria-hidden': 'true' }, 'T'),
      h('div', { class: 'message-main' }, h('p', { class: 'failed' }, '[this message could not be drawn]')),
    );
  }
}

/** Each message's drawing, kept while what it shows is unchanged, so an edit redraws only its message. */
const drawn = new Map<string, { key: string; element: HTMLElement; message?: Message }>();

function drawMessage(m: Message, replies: number, inThread: boolean): HTMLElement {
  const id = `${inThread ? 't' : 'c'}:${m.ts}`;
  // A message object is replaced only when the server says it changed (see `merge`): comparing it by
  // identity, not by its blocks turned to JSON, keeps a poll's cost to the messages that did.
  const key = JSON.stringify([m.edits, replies, ui.highlight === m.ts, ui.failed.get(m.ts), ui.me]);
  const known = drawn.get(id);
  if (known?.key === key && known.message === m) return known.element;
  const element = drawnSafely(m, replies, inThread);
  known?.element.replaceWith(element);
  drawn.set(id, { key, element, message: m });
  return element;
}

/**
 * Puts `children` in `parent` in order, moving only what is out of place (a focused select keeps focus, and a
 * new message at the end of a channel is one insertion, not 200 elements laid out again).
 */
function arrange(parent: HTMLElement, children: readonly HTMLElement[]): void {
  const wanted = new Set<Element>(children);
  for (const child of [...parent.children]) if (!wanted.has(child)) child.remove();
  children.forEach((child, i) => {
    const there = parent.children[i];
    if (there !== child) parent.insertBefore(child, there ?? null);
  });
}

function noteElement(note: { at: number; text: string }): HTMLElement {
  return h(
    'article',
    { class: 'message ephemeral note' },
    h('div', { class: 'avatar slackbot', 'aria-hidden': 'true' }, 'S'),
    h(
      'div',
      { class: 'message-main' },
      h(
        'div',
        { class: 'message-head' },
        h('span', { class: 'author' }, 'Slackbot'),
        h('time', {}, new Date(note.at).toLocaleTimeString()),
      ),
      h('p', { class: 'failed' }, note.text),
      h('p', { class: 'only-you' }, '👁 Only visible to you'),
    ),
  );
}

function renderChannel(channel: string): void {
  const messages = (state?.messages ?? []).filter((m) => m.channel === channel && visible(m));
  const replies = new Map<string, number>();
  for (const m of messages)
    if (isReply(m)) replies.set(m.thread_ts as string, (replies.get(m.thread_ts as string) ?? 0) + 1);
  const top = messages.filter((m) => !isReply(m));
  const limit = ui.shown.get(channel) ?? PAGE_SIZE;
  const shown = top.slice(-limit).map((m) => drawMessage(m, replies.get(m.ts) ?? 0, false));
  const notes = (ui.notes.get(channel) ?? []).map(noteElement);
  const older = top.length > limit ? [olderButton(channel, top.length - limit)] : [];
  arrange(
    list,
    shown.length + notes.length > 0
      ? [...older, ...shown, ...notes]
      : [h('p', { class: 'empty' }, 'No messages here yet.')],
  );
  renderThread(messages);
}

/** The button above a channel's oldest drawn message; kept while the count it shows is the same. */
let older: { channel: string; hidden: number; element: HTMLElement } | undefined;

function olderButton(channel: string, hidden: number): HTMLElement {
  if (older?.channel === channel && older.hidden === hidden) return older.element;
  const button = h(
    'button',
    { type: 'button', class: 'btn older', 'data-older': hidden },
    `Show older messages (${hidden} more)`,
  );
  button.addEventListener('click', () => {
    // Where the reader was stays put: the older messages go above it.
    const fromBottom = list.scrollHeight - list.scrollTop;
    ui.shown.set(channel, (ui.shown.get(channel) ?? PAGE_SIZE) + PAGE_SIZE);
    stuck = false;
    render();
    list.scrollTop = list.scrollHeight - fromBottom;
  });
  older = { channel, hidden, element: button };
  return button;
}

function renderThread(messages: Message[]): void {
  const parent = ui.thread ? messages.find((m) => m.ts === ui.thread) : undefined;
  if (!parent) {
    threadPane.hidden = true;
    return;
  }
  threadPane.hidden = false;
  const close = h('button', { type: 'button', class: 'close', 'aria-label': 'Close thread' }, '×');
  close.addEventListener('click', () => {
    ui.thread = undefined;
    render();
  });
  const replies = messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
  const body = h('div', { class: 'thread-messages' });
  arrange(body, [drawMessage(parent, 0, true), ...replies.map((m) => drawMessage(m, 0, true))]);
  replace(threadPane, h('header', { class: 'thread-head' }, h('h2', {}, 'Thread'), close), body);
}

function renderHome(): void {
  const home = state?.views.find((v) => v.type === 'home' && v.user === ui.me);
  threadPane.hidden = true;
  if (!home) {
    replace(list, h('p', { class: 'empty' }, 'TMS has not drawn a Home tab for you yet…'));
    return;
  }
  const key = `home:${home.id}`;
  const drawnKey = JSON.stringify([home.view, home.updates, ui.me, ui.failed.get(home.id)]);
  const known = drawn.get(key);
  if (known?.key === drawnKey && list.firstElementChild === known.element) return;
  const element = h(
    'div',
    { class: 'home', 'data-view-id': home.id },
    renderBlocks(Array.isArray(home.view.blocks) ? home.view.blocks : [], {
      directory: directory(),
      now: Date.now(),
      act: (interaction, control) =>
        void act({ type: 'view', view_id: home.id }, interaction, control, home.id),
    }),
    ui.failed.get(home.id) ? h('p', { class: 'failed', role: 'alert' }, `⚠ ${ui.failed.get(home.id)}`) : null,
  );
  drawn.set(key, { key: drawnKey, element });
  replace(list, element);
}

function render(): void {
  if (!state) return;
  renderMeSelect();
  renderSidebar();
  if (ui.place.kind === 'home') {
    title.textContent = 'TMS · Home';
    composer.hidden = true;
    renderHome();
  } else {
    const name = places().find((p) => p.id === ui.place.id);
    title.textContent = name?.dm ? 'TMS · Messages' : `# ${name?.name ?? ui.place.id}`;
    composer.hidden = false;
    renderChannel(ui.place.id);
  }
  renderModal();
  // Kept at the newest message, as Slack keeps a channel, unless the person scrolled up to read.
  if (stuck && !ui.highlight) list.scrollTop = list.scrollHeight;
  if (ui.highlight) {
    const target = document.querySelector(`[data-ts="${CSS.escape(ui.highlight)}"].highlight`);
    if (target && !target.hasAttribute('data-scrolled')) {
      target.setAttribute('data-scrolled', '');
      target.scrollIntoView({ block: 'center' });
    }
  }
}

function renderMeSelect(): void {
  const users = state?.users ?? [];
  if (meSelect.options.length === users.length) return;
  replace(
    meSelect,
    users.map((u) => h('option', { value: u.id }, `@${u.name} (${u.role})`)),
  );
  meSelect.value = ui.me;
}

// --- modals

function renderModal(): void {
  const open = state?.views
    .filter((v) => v.type === 'modal' && v.user === ui.me && !ui.dismissed.has(v.id))
    .at(-1);
  if (!open) {
    if (modal.open) modal.close();
    ui.modal = undefined;
    return;
  }
  if (ui.modal?.id === open.id && ui.modal.updates === open.updates && modal.open) return;
  ui.modal = { id: open.id, updates: open.updates };
  drawModal(open);
  if (!modal.open) modal.showModal();
}

function drawModal(open: View): void {
  const v = open.view;
  const cancel = h(
    'button',
    { type: 'button', class: 'btn' },
    v.close?.text ? String(v.close.text) : 'Cancel',
  );
  const submit = v.submit
    ? h('button', { type: 'button', class: 'btn primary' }, String(v.submit.text ?? 'Submit'))
    : null;
  const x = h('button', { type: 'button', class: 'close', 'aria-label': 'Close' }, '×');
  const body = renderBlocks(Array.isArray(v.blocks) ? v.blocks : [], {
    directory: directory(),
    now: Date.now(),
    errors: ui.modalErrors,
    // A button or select of the modal itself (not an input's) is a click Slack sends at once, from the view.
    act: (interaction, control) =>
      void act({ type: 'view', view_id: open.id }, interaction, control, open.id),
  });
  const status = h('p', { class: 'modal-status', role: 'status' });
  replace(
    modal,
    h(
      'header',
      { class: 'modal-head' },
      h('h2', { id: 'modal-title' }, v.title?.text ? String(v.title.text) : 'TMS'),
      x,
    ),
    h('div', { class: 'modal-body', 'data-view-id': open.id }, body),
    status,
    h('footer', { class: 'modal-foot' }, cancel, submit),
  );
  const dismiss = () => {
    ui.modalErrors = {};
    ui.dismissed.add(open.id);
    modal.close();
    void send({ kind: 'view_closed', user: ui.me, view_id: open.id });
  };
  cancel.addEventListener('click', dismiss);
  x.addEventListener('click', dismiss);
  modal.oncancel = (event) => {
    event.preventDefault();
    dismiss();
  };
  submit?.addEventListener('click', () => void submitModal(open, submit, status));
}

/** The modal's inputs as the page sends them; a required one left empty is refused here, as Slack's client does. */
function modalValues(open: View): {
  values: Record<string, Record<string, Json>>;
  missing: Record<string, string>;
} {
  const values: Record<string, Record<string, Json>> = {};
  const missing: Record<string, string> = {};
  for (const block of Array.isArray(open.view.blocks) ? open.view.blocks : []) {
    if (block?.type !== 'input' || typeof block.block_id !== 'string') continue;
    const element = block.element ?? {};
    const control = modal.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
      `[data-block-id="${CSS.escape(block.block_id)}"][data-action-id]`,
    );
    const raw = control?.value ?? '';
    const empty = raw === '';
    if (empty && !block.optional) missing[block.block_id] = 'Please complete this required field.';
    const value =
      element.type === 'plain_text_input'
        ? { type: element.type, value: empty ? null : raw }
        : element.type === 'static_select'
          ? { type: element.type, value: empty ? null : raw }
          : element.type === 'users_select'
            ? { type: element.type, user: empty ? null : raw }
            : element.type === 'conversations_select'
              ? { type: element.type, conversation: empty ? null : raw }
              : element.type === 'datepicker'
                ? { type: element.type, date: empty ? null : raw }
                : element.type === 'timepicker'
                  ? { type: element.type, time: empty ? null : raw }
                  : undefined;
    if (value) values[block.block_id] = { [String(element.action_id)]: value };
  }
  return { values, missing };
}

async function submitModal(open: View, button: HTMLButtonElement, status: HTMLElement): Promise<void> {
  const { values, missing } = modalValues(open);
  if (Object.keys(missing).length > 0) {
    showModalErrors(open, missing);
    return;
  }
  button.disabled = true;
  const answer = await send({ kind: 'view_submission', user: ui.me, view_id: open.id, values });
  button.disabled = false;
  if (answer?.errors) {
    showModalErrors(open, answer.errors);
    return;
  }
  if (answer && !answer.ok) {
    status.textContent = `⚠ ${answer.error ?? 'We had some trouble connecting. Try again?'}`;
    return;
  }
  if (answer?.closed) {
    ui.modalErrors = {};
    ui.dismissed.add(open.id);
    modal.close();
    await refresh();
  }
}

/** Errors under their fields, what was typed kept. */
function showModalErrors(open: View, errors: Record<string, string>): void {
  for (const block of modal.querySelectorAll<HTMLElement>('.block.input')) {
    block.classList.remove('has-error');
    block.querySelector('.error')?.remove();
  }
  ui.modalErrors = errors;
  for (const [blockId, text] of Object.entries(errors)) {
    const block = modal.querySelector<HTMLElement>(`.block.input[data-block-id="${CSS.escape(blockId)}"]`);
    if (!block) continue;
    block.classList.add('has-error');
    block.append(h('p', { class: 'error', role: 'alert' }, text));
  }
  void open;
}

// --- sending

async function send(body: Record<string, unknown>): Promise<SendAnswer | undefined> {
  try {
    const response = await fetch(`${BASE}/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as SendAnswer & { error?: Json };
    if (response.status !== 200) {
      const message =
        typeof answer.error === 'object' ? String(answer.error?.message ?? '') : String(answer.error ?? '');
      return { ok: false, status: response.status, error: message || `HTTP ${response.status}` };
    }
    void refresh();
    return answer;
  } catch {
    return { ok: false, status: 0, error: 'We had some trouble connecting. Try again?' };
  }
}

async function act(
  container: { type: 'message'; channel: string; ts: string } | { type: 'view'; view_id: string },
  interaction: Interaction,
  control: HTMLElement,
  key: string,
): Promise<void> {
  control.classList.add('busy');
  control.setAttribute('aria-busy', 'true');
  const answer = await send({
    kind: 'block_actions',
    user: ui.me,
    container,
    block_id: interaction.blockId,
    action_id: interaction.actionId,
    ...(interaction.value !== undefined ? { value: interaction.value } : {}),
    ...(interaction.selectedUser ? { selected_user: interaction.selectedUser } : {}),
    ...(interaction.selectedConversation ? { selected_conversation: interaction.selectedConversation } : {}),
    ...(interaction.selectedDate ? { selected_date: interaction.selectedDate } : {}),
    ...(interaction.selectedTime ? { selected_time: interaction.selectedTime } : {}),
  });
  control.classList.remove('busy');
  control.removeAttribute('aria-busy');
  if (answer && !answer.ok) ui.failed.set(key, answer.error ?? 'failed');
  else ui.failed.delete(key);
  render();
}

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = composerInput.value.trim();
  if (!text || ui.place.kind !== 'channel') return;
  const channel = ui.place.id;
  composerHint.textContent = '';
  composerInput.value = '';
  void send({ kind: 'command', user: ui.me, channel, text }).then((answer) => {
    if (answer && !answer.ok) {
      const notes = ui.notes.get(channel) ?? [];
      notes.push({ at: Date.now(), text: answer.error ?? 'failed' });
      ui.notes.set(channel, notes);
      if (answer.status === 400) {
        composerInput.value = text;
        composerHint.textContent = answer.error ?? '';
      }
      render();
    }
  });
});

meSelect.addEventListener('change', () => {
  ui.me = meSelect.value;
  drawn.clear();
  if (ui.place.kind === 'channel' && ui.place.id.startsWith('D'))
    ui.place = { kind: 'channel', id: dmOf(ui.me) };
  go(ui.place);
});

// --- polling

let polling = false;
async function refresh(): Promise<void> {
  if (polling) return;
  polling = true;
  try {
    const since = state ? `?since=${encodeURIComponent(state.version)}` : '';
    const response = await fetch(`${BASE}/state${since}`, { cache: 'no-store' });
    banner.hidden = true;
    if (response.status === 204) return;
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const first = !state;
    const answer = (await response.json()) as StateAnswer;
    state = state && answer.since === state.version ? merge(state, answer) : answer;
    if (first) start();
    render();
  } catch {
    banner.textContent = 'Cannot reach TMS — is npm start still running? Retrying…';
    banner.hidden = false;
  } finally {
    polling = false;
  }
}

/**
 * What changed put into the state the page has: an edited message's object replaced (so only its article is
 * drawn again), a new one appended (the server answers them in the order they were posted), removed ones dropped.
 */
function merge(old: State, changes: StateAnswer): State {
  const changed = new Map(changes.messages.map((m) => [m.ts, m]));
  const removed = new Set(changes.removed ?? []);
  const messages: Message[] = [];
  for (const m of old.messages) {
    if (removed.has(m.ts)) continue;
    messages.push(changed.get(m.ts) ?? m);
    changed.delete(m.ts);
  }
  messages.push(...changed.values());
  const views = new Map(old.views.map((v) => [v.id, v]));
  for (const id of changes.closed ?? []) views.delete(id);
  for (const v of changes.views) views.set(v.id, v);
  return { ...changes, messages, views: [...views.values()] };
}

/** The first state read: who the page is, and where the address says to go (a permalink names a message). */
function start(): void {
  const query = new URLSearchParams(location.search);
  const users = state?.users ?? [];
  const asked = query.get('user');
  ui.me = users.some((u) => u.id === asked) ? (asked as string) : (users[0]?.id ?? 'U01AAA');
  const permalink = /^\/_sandbox\/slack\/archives\/([A-Z0-9]+)\/p(\d+)$/.exec(location.pathname);
  if (permalink) {
    const channel = permalink[1] as string;
    const digits = permalink[2] as string;
    const ts = `${digits.slice(0, -6)}.${digits.slice(-6)}`;
    ui.place = { kind: 'channel', id: channel };
    ui.highlight = ts;
    const message = state?.messages.find((m) => m.ts === ts && m.channel === channel);
    if (message && isReply(message)) ui.thread = message.thread_ts as string;
    // An old message is drawn: enough of the channel's history to reach it (or its thread's parent).
    const top = (state?.messages ?? []).filter((m) => m.channel === channel && visible(m) && !isReply(m));
    const at = top.findIndex((m) => m.ts === (ui.thread ?? ts));
    if (at >= 0) ui.shown.set(channel, Math.ceil((top.length - at) / PAGE_SIZE) * PAGE_SIZE);
    if (!message)
      ui.notes.set(channel, [
        {
          at: Date.now(),
          text: 'The message this link points to is not here (deleted, or from an earlier run).',
        },
      ]);
    return;
  }
  if (query.get('tab') === 'home') {
    ui.place = { kind: 'home', id: '' };
    void send({ kind: 'app_home_opened', user: ui.me });
    return;
  }
  const channel = query.get('channel');
  const first = places()[0]?.id ?? 'C0GENERAL';
  ui.place = { kind: 'channel', id: channel && /^[CGD][A-Z0-9]+$/.test(channel) ? channel : first };
}

document.body.append(
  h(
    'div',
    { class: 'app' },
    h(
      'aside',
      { class: 'side' },
      h('div', { class: 'workspace' }, h('strong', {}, 'TMS local'), h('span', {}, 'offline Slack')),
      h('label', { class: 'me-label' }, 'You are ', meSelect),
      sidebar,
    ),
    h(
      'main',
      { class: 'main' },
      h('header', { class: 'place-head' }, title),
      banner,
      list,
      h('div', { class: 'composer-wrap' }, composer, composerHint),
    ),
    threadPane,
  ),
  modal,
);
list.addEventListener('scroll', () => {
  stuck = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
});
void refresh();
setInterval(() => void refresh(), POLL_MS);
