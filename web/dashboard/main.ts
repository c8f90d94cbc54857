import { h, replace } from '../shared/dom.js';
import { type Api, ApiError, apiClient } from './api.js';
import { endCognitoSession, renewToken, signInView, signOut, storedToken, tokenFromAddress } from './auth.js';
import { metricCharts, RANGES } from './charts.js';
import { connectLive, type LiveState, liveUrl } from './live.js';
import './style.css';
import type { Metrics, Playbook, Role, SiteConfig, Task, TimelineEntry, Trend } from './types.js';

/**
 * The wall-screen dashboard: open tasks by priority with their SLA clocks, who holds what, trends, the
 * figures over time, a task's timeline and its service's playbook; live over the WebSocket, polling
 * the list while that is down. Every element is made with h() (text as text), so nothing a sender wrote runs.
 */

const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
const POLL_MS = 15_000;
/** The figures are hourly aggregates: read every few minutes, and after a change at most once a minute. */
const METRICS_MS = 5 * 60_000;
const METRICS_AFTER_CHANGE_MS = 60_000;
const root = document.getElementById('app') ?? document.body;

async function start(): Promise<void> {
  const config = await fetch('/app/config.json')
    .then((r) => r.json() as Promise<SiteConfig>)
    .catch((): SiteConfig => ({ liveUrl: null, auth: null }));
  const arrived = await tokenFromAddress(config);
  const token = arrived.token ?? storedToken();
  if (!token) {
    replace(
      root,
      signInView(config, arrived.error, (t) => void dashboard(config, t)),
    );
    root.querySelector('input')?.focus();
    return;
  }
  await dashboard(config, token);
}

async function dashboard(config: SiteConfig, token: string): Promise<void> {
  const tasks = new Map<string, Task>();
  let newest: string | null = null;
  let role: Role = 'viewer';
  let me = '';
  // A claim makes the caller the holder, so it takes a Slack identity (the API token acts as TMS itself).
  let isPerson = false;
  let liveState: LiveState = 'connecting';
  let firstLoad = true;
  let live: { close(): void } | undefined;
  const timers: ReturnType<typeof setInterval>[] = [];
  let metricsSoon: ReturnType<typeof setTimeout> | undefined;

  const signedOut = (reason: string) => {
    signOut();
    live?.close();
    for (const timer of timers) clearInterval(timer);
    clearTimeout(metricsSoon);
    replace(
      root,
      signInView(config, `Signed out: ${reason}`, (t) => void dashboard(config, t)),
    );
  };
  let renewing: Promise<string | null> | undefined;
  const session = {
    token,
    renew: () => {
      renewing ??= renewToken(config).then((renewed) => {
        renewing = undefined;
        if (renewed) session.token = renewed;
        return renewed;
      });
      return renewing;
    },
  };
  const api: Api = apiClient(session, signedOut);

  // The page's parts.
  const status = h('span', { class: 'live-state', role: 'status' }, 'connecting…');
  const who = h('span', { class: 'who' });
  const signOutButton = h('button', { type: 'button', class: 'quiet' }, 'Sign out');
  const errors = h('div', { class: 'errors', role: 'alert' });
  const announcer = h('div', { class: 'sr-only', 'aria-live': 'polite' });
  const lists = Object.fromEntries(
    PRIORITIES.map((p) => [p, h('ul', { class: 'tasks', 'aria-labelledby': `heading-${p}` })]),
  ) as Record<(typeof PRIORITIES)[number], HTMLUListElement>;
  const counts = Object.fromEntries(PRIORITIES.map((p) => [p, h('span', { class: 'count' })])) as Record<
    (typeof PRIORITIES)[number],
    HTMLSpanElement
  >;
  const holders = h('ul', { class: 'holders' });
  const trends = h('ul', { class: 'trends' });
  const charts = metricCharts(() => void loadMetrics());
  const serviceSelect = h('select', { id: 'metrics-service' }, h('option', { value: '' }, 'All services'));
  const dialog = h('dialog', { class: 'detail', 'aria-labelledby': 'detail-title' });

  replace(
    root,
    h('header', { class: 'top' }, [h('h1', {}, 'TMS'), status, who, signOutButton]),
    errors,
    announcer,
    h('main', { class: 'grid' }, [
      h('section', { class: 'open-tasks', 'aria-labelledby': 'open-title' }, [
        h('h2', { id: 'open-title' }, 'Open tasks'),
        ...PRIORITIES.map((p) =>
          h('section', { class: `priority ${p.toLowerCase()}` }, [
            h('h3', { id: `heading-${p}` }, p, ' ', counts[p]),
            lists[p],
          ]),
        ),
      ]),
      h('aside', { class: 'side' }, [
        h('section', { 'aria-labelledby': 'holders-title' }, [
          h('h2', { id: 'holders-title' }, 'Who holds what'),
          holders,
        ]),
        h('section', { 'aria-labelledby': 'trends-title' }, [
          h('h2', { id: 'trends-title' }, 'Trending now'),
          trends,
        ]),
        h('section', { 'aria-labelledby': 'metrics-title' }, [
          h('h2', { id: 'metrics-title' }, 'MTTA · MTTR · MTBF · SLA'),
          h('label', { for: 'metrics-service' }, 'Service '),
          serviceSelect,
          charts.element,
        ]),
      ]),
    ]),
    dialog,
  );
  signOutButton.addEventListener('click', () => {
    if (config.auth) {
      const auth = config.auth;
      // The tokens are read before the page forgets them: the refresh token is revoked with Cognito.
      void endCognitoSession(auth).finally(() => signedOut('you signed out'));
      return;
    }
    signedOut('you signed out');
  });

  const showError = (error: unknown) => {
    const e = error instanceof ApiError ? error : new ApiError(0, 'ERROR', String(error));
    const dismiss = h('button', { type: 'button', class: 'quiet', 'aria-label': 'Dismiss this error' }, '×');
    const line = h('p', { class: 'error' }, h('strong', {}, e.code), ': ', e.message, ' ', dismiss);
    dismiss.addEventListener('click', () => line.remove());
    errors.replaceChildren(line);
  };

  const can = () => role === 'admin' || role === 'developer';

  // Who the caller is (GET /api/me): the buttons follow the role; an unknown role is read-only.
  try {
    const answer = await api.get<{ actor: { type: string; id: string }; role: Role }>('/api/me');
    role = answer.role;
    me = answer.actor.id;
    isPerson = answer.actor.type === 'user' && /^[UW][A-Z0-9]{2,}$/.test(me);
    who.textContent = `${me} · ${role}`;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    role = 'viewer';
    who.textContent =
      error instanceof ApiError && error.status === 404
        ? 'read-only (this TMS does not say who you are: GET /api/me answered 404)'
        : 'read-only (who you are is unknown)';
  }

  // A task's row: the task as a button (opens its timeline), its SLA clock, its holder, the actions.
  function row(task: Task): HTMLLIElement {
    const open = h(
      'button',
      { type: 'button', class: 'task-open', 'data-task': task.id, 'aria-haspopup': 'dialog' },
      h('span', { class: 'id' }, task.id),
      ' ',
      h('span', { class: 'title' }, task.title),
    );
    open.addEventListener('click', () => void details(task.id));
    return h('li', { class: `task ${task.status}`, 'data-id': task.id }, [
      open,
      h('span', { class: 'meta' }, [
        h('span', { class: 'service' }, task.service),
        h('span', { class: 'state' }, task.status.replace('_', ' ')),
        h('span', { class: 'holder' }, task.assignee ? `held by ${task.assignee}` : 'unclaimed'),
        task.occurrences > 1 ? h('span', { class: 'occ' }, `×${task.occurrences}`) : null,
      ]),
      clock(task),
      can() ? actions(task) : null,
    ]);
  }

  function clock(task: Task): HTMLElement {
    const stage = task.status === 'open' ? 'ack' : 'resolve';
    const due = stage === 'ack' ? task.ackDueAt : task.resolveDueAt;
    const element = h('span', {
      class: 'clock',
      'data-due': due,
      'data-window': task.sla.windows[task.priority]?.[stage] ?? 0,
      'data-at-risk': task.sla.atRisk,
      'data-stage': stage,
    });
    paintClock(element, Date.now());
    return element;
  }

  function actions(task: Task, inDialog = false): HTMLElement {
    const buttons: HTMLButtonElement[] = [];
    const add = (label: string, run: () => void) => {
      const button = h(
        'button',
        { type: 'button', class: 'act', 'aria-label': `${label} ${task.id}` },
        label,
      );
      button.addEventListener('click', run);
      buttons.push(button);
    };
    if (task.status === 'open') add('Acknowledge', () => void act(task.id, 'acknowledge'));
    if (!task.assignee && isPerson) add('Claim', () => void act(task.id, 'claim'));
    add('Resolve…', () => resolveForm(task));
    return h('span', { class: inDialog ? 'actions in-dialog' : 'actions' }, buttons);
  }

  async function act(id: string, action: string, note?: string): Promise<boolean> {
    try {
      const answer = await api.post<{ task: Task }>(`/api/tasks/${encodeURIComponent(id)}/actions`, {
        action,
        ...(note ? { note } : {}),
      });
      upsert(answer.task);
      if (dialog.open && dialog.dataset.task === id) void details(id);
      return true;
    } catch (error) {
      showError(error);
      // Refused as the task moved on (someone else acted first): show it as it is now.
      if (error instanceof ApiError && error.status === 409)
        void api.get<{ task: Task }>(`/api/tasks/${encodeURIComponent(id)}`).then(
          (answer) => upsert(answer.task),
          () => {},
        );
      return false;
    }
  }

  function resolveForm(task: Task): void {
    const note = h('textarea', { id: 'resolve-note', rows: 3, required: true, maxlength: 4000 });
    const cancel = h('button', { type: 'button', class: 'quiet' }, 'Cancel');
    const form = h('form', { method: 'dialog', class: 'resolve' }, [
      h('h2', { id: 'detail-title' }, `Resolve ${task.id}`),
      h('p', {}, task.title),
      h('label', { for: 'resolve-note' }, 'What fixed it (the resolution note)'),
      note,
      h('div', { class: 'buttons' }, [h('button', { type: 'submit', class: 'primary' }, 'Resolve'), cancel]),
    ]);
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void act(task.id, 'resolve', note.value.trim()).then((done) => done && dialog.close());
    });
    showDialog(task.id, form);
    note.focus();
  }

  let opener: HTMLElement | null = null;
  function showDialog(id: string, ...children: Node[]): void {
    if (!dialog.open) opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.dataset.task = id;
    const close = h('button', { type: 'button', class: 'close quiet', 'aria-label': 'Close' }, '×');
    close.addEventListener('click', () => dialog.close());
    replace(dialog, close, ...children);
    if (!dialog.open) dialog.showModal();
  }
  // Focus goes back where it was when the dialog opened (showModal moves it in; Escape closes it); when
  // that control was redrawn meanwhile, or its task resolved, to the task's row, else the list.
  dialog.addEventListener('close', () => {
    const back = opener;
    opener = null;
    if (back?.isConnected) return back.focus();
    const id = CSS.escape(dialog.dataset.task ?? '');
    (
      root.querySelector<HTMLElement>(`li[data-id="${id}"] .task-open`) ??
      root.querySelector<HTMLElement>('.task-open')
    )?.focus();
  });

  async function details(id: string): Promise<void> {
    let answer: { task: Task; timeline: TimelineEntry[] };
    try {
      answer = await api.get(`/api/tasks/${encodeURIComponent(id)}`);
    } catch (error) {
      showError(error);
      return;
    }
    const { task, timeline } = answer;
    upsert(task);
    const playbook = h('section', { class: 'playbook', 'aria-labelledby': 'playbook-title' }, [
      h('h3', { id: 'playbook-title' }, `Playbook of ${task.service}`),
      h('p', { class: 'hint' }, 'Loading…'),
    ]);
    showDialog(
      id,
      h('h2', { id: 'detail-title' }, `${task.id} · ${task.priority} · ${task.title}`),
      h('p', { class: 'meta' }, [
        h('span', {}, task.service),
        h('span', {}, task.status.replace('_', ' ')),
        h('span', {}, task.assignee ? `held by ${task.assignee}` : 'unclaimed'),
        task.status !== 'resolved' ? clock(task) : null,
      ]),
      task.description ? h('p', { class: 'description' }, task.description) : h('span', {}),
      can() && task.status !== 'resolved' ? actions(task, true) : h('span', {}),
      h('h3', {}, 'Timeline'),
      h('ol', { class: 'timeline' }, timeline.map(entryView)),
      playbook,
    );
    try {
      const book = await api.get<Playbook>(`/api/services/${encodeURIComponent(task.service)}/playbook`);
      replace(playbook, playbookView(book));
    } catch (error) {
      replace(
        playbook,
        h('h3', { id: 'playbook-title' }, `Playbook of ${task.service}`),
        h(
          'p',
          { class: 'error' },
          error instanceof ApiError ? `${error.code}: ${error.message}` : String(error),
        ),
      );
    }
  }

  // The list: kept in a map by id, drawn by priority, most urgent clock first.
  function upsert(task: Task): void {
    const known = tasks.get(task.id);
    if (known && known.version > task.version) return; // a late answer never undoes a newer change
    if (!newest || task.updatedAt > newest) newest = task.updatedAt;
    if (task.status === 'resolved') tasks.delete(task.id);
    else {
      if (!known && !firstLoad) announcer.textContent = `New ${task.priority} task ${task.id}: ${task.title}`;
      tasks.set(task.id, task);
    }
    scheduleDraw();
  }

  let drawing = false;
  function scheduleDraw(): void {
    if (drawing) return;
    drawing = true;
    queueMicrotask(() => {
      drawing = false;
      draw();
    });
  }

  function draw(): void {
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const focusKey = focused?.closest('li')?.dataset.id;
    const focusLabel =
      focused?.getAttribute('aria-label') ?? (focused?.classList.contains('task-open') ? 'open' : null);
    for (const p of PRIORITIES) {
      const mine = [...tasks.values()]
        .filter((t) => t.priority === p)
        .sort((a, b) => dueOf(a).localeCompare(dueOf(b)));
      counts[p].textContent = `(${mine.length})`;
      replace(lists[p], mine.length ? mine.map(row) : h('li', { class: 'none' }, 'None'));
    }
    // A redraw keeps the keyboard where it was: the same control of the same task.
    if (focusKey && focusLabel) {
      const li = root.querySelector<HTMLElement>(`li[data-id="${CSS.escape(focusKey)}"]`);
      const again =
        focusLabel === 'open'
          ? li?.querySelector<HTMLElement>('.task-open')
          : li?.querySelector<HTMLElement>(`[aria-label="${CSS.escape(focusLabel)}"]`);
      (again ?? li?.querySelector<HTMLElement>('.task-open'))?.focus();
    }
    const byHolder = new Map<string, Task[]>();
    for (const task of tasks.values()) {
      const holder = task.assignee ?? 'unclaimed';
      byHolder.set(holder, [...(byHolder.get(holder) ?? []), task]);
    }
    replace(
      holders,
      byHolder.size
        ? [...byHolder]
            .sort(([a], [b]) => (a === 'unclaimed' ? 1 : b === 'unclaimed' ? -1 : a.localeCompare(b)))
            .map(([holder, held]) =>
              h('li', {}, [
                h('span', { class: 'holder-name' }, holder),
                ' ',
                h('span', { class: 'hint' }, held.map((t) => t.id).join(', ')),
              ]),
            )
        : h('li', { class: 'none' }, 'Nobody holds anything'),
    );
    const services = new Set([...tasks.values()].map((t) => t.service));
    for (const service of services)
      if (![...serviceSelect.options].some((o) => o.value === service))
        serviceSelect.append(h('option', { value: service }, service));
  }

  const dueOf = (t: Task) => (t.status === 'open' ? t.ackDueAt : t.resolveDueAt);

  async function loadTasks(): Promise<void> {
    try {
      const seen = new Set<string>();
      let cursor: string | null = null;
      for (let page = 0; page < 5; page++) {
        const query: string = `/api/tasks?status=unresolved&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const answer: { tasks: Task[]; next: string | null } = await api.get(query);
        for (const task of answer.tasks) {
          seen.add(task.id);
          upsert(task);
        }
        cursor = answer.next;
        if (!cursor) break;
      }
      // Resolved or deleted since the last load (the list only shows what is unresolved).
      if (!cursor) for (const id of tasks.keys()) if (!seen.has(id)) tasks.delete(id);
      firstLoad = false;
      scheduleDraw();
    } catch (error) {
      showError(error);
    }
  }

  async function loadTrends(): Promise<void> {
    try {
      const answer = await api.get<{ trends: Trend[] }>('/api/trends');
      drawTrends(answer.trends);
    } catch (error) {
      showError(error);
    }
  }
  let trendList: Trend[] = [];
  function drawTrends(list: Trend[]): void {
    trendList = list;
    replace(
      trends,
      list.length
        ? list.map((t) =>
            h('li', {}, [
              h('span', { class: 'service' }, t.service),
              ' ',
              t.title,
              ' ',
              h('span', { class: 'hint' }, `${t.recent} recent, ${t.expected} expected`),
              t.taskId ? h('span', { class: 'id' }, ` ${t.taskId}`) : null,
            ]),
          )
        : h('li', { class: 'none' }, 'Nothing is trending'),
    );
  }

  let metricsAsked = 0;
  let metricsReadAt = 0;
  async function loadMetrics(): Promise<void> {
    const service = serviceSelect.value;
    const { window, step } = RANGES[charts.range];
    const asked = ++metricsAsked;
    metricsReadAt = Date.now();
    try {
      const answer = await api.get<Metrics>(
        `/api/metrics?window=${window}&step=${step}${service ? `&service=${encodeURIComponent(service)}` : ''}`,
      );
      // A late answer for a span or service no longer shown never replaces the one asked since.
      if (asked === metricsAsked) charts.update(answer.series ?? []);
    } catch (error) {
      showError(error);
    }
  }
  /** After a task or trend message: the figures again, at most once a minute whatever the traffic. */
  function metricsChanged(): void {
    if (metricsSoon) return;
    metricsSoon = setTimeout(
      () => {
        metricsSoon = undefined;
        void loadMetrics();
      },
      Math.max(0, metricsReadAt + METRICS_AFTER_CHANGE_MS - Date.now()),
    );
  }
  serviceSelect.addEventListener('change', () => void loadMetrics());

  timers.push(
    setInterval(() => {
      if (liveState !== 'live') void loadTasks();
    }, POLL_MS),
    // The SLA clocks count down every second, without redrawing the rows.
    setInterval(() => {
      const now = Date.now();
      for (const element of root.querySelectorAll<HTMLElement>('.clock')) paintClock(element, now);
    }, 1000),
    setInterval(() => void loadTrends(), 60_000),
    setInterval(() => void loadMetrics(), METRICS_MS),
  );

  // The list first, then the socket, whose first `since` is then the newest change the list showed.
  const insights = Promise.all([loadTrends(), loadMetrics()]);
  await loadTasks();
  // Live: changes pushed; while the socket is down the list is polled instead.
  live = connectLive(() => liveUrl(config.liveUrl, session.token), {
    since: () => newest,
    taskChanged: (task) => {
      upsert(task);
      metricsChanged();
    },
    taskDeleted: (id) => {
      tasks.delete(id);
      scheduleDraw();
    },
    trend: (trend) => {
      drawTrends([
        trend,
        ...trendList.filter((t) => !(t.service === trend.service && t.title === trend.title)),
      ]);
      metricsChanged();
    },
    caughtUp: (complete) => {
      if (!complete) void loadTasks();
    },
    state: (state) => {
      liveState = state;
      status.textContent =
        state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'reconnecting…';
      status.className = `live-state ${state}`;
    },
  });
  await insights;
}

function paintClock(element: HTMLElement, now: number): void {
  const due = Date.parse(element.dataset.due ?? '');
  const windowMs = Number(element.dataset.window);
  const atRisk = Number(element.dataset.atRisk);
  const stage = element.dataset.stage === 'ack' ? 'ack' : 'resolve';
  const left = due - now;
  const used = windowMs > 0 ? 1 - left / windowMs : 0;
  const state = left < 0 ? 'breached' : used >= atRisk ? 'at-risk' : 'ok';
  element.textContent = left < 0 ? `${stage} overdue ${span(-left)}` : `${stage} in ${span(left)}`;
  element.className = `clock ${state}`;
  element.setAttribute(
    'title',
    `${stage === 'ack' ? 'Acknowledge' : 'Resolve'} by ${new Date(due).toLocaleString()}`,
  );
}

function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const hh = Math.floor((s % 86_400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (d > 0) return `${d}d ${hh}h`;
  if (hh > 0) return `${hh}h ${String(mm).padStart(2, '0')}m`;
  return `${mm}m ${String(ss).padStart(2, '0')}s`;
}

function entryView(entry: TimelineEntry): HTMLLIElement {
  const detail =
    entry.type === 'resolved'
      ? (entry.resolution as string | null)
      : entry.type === 'commented'
        ? (entry.text as string)
        : entry.type === 'assigned'
          ? `to ${entry.to ?? 'nobody'}`
          : entry.type === 'priority_changed'
            ? `${entry.from} → ${entry.to}`
            : entry.type === 'occurred'
              ? `×${entry.occurrences}${entry.summary ? ` ${entry.summary}` : ''}`
              : entry.type === 'opened'
                ? (entry.title as string)
                : null;
  return h('li', {}, [
    h('time', { datetime: entry.at }, new Date(entry.at).toLocaleString()),
    ' ',
    h('strong', {}, entry.type.replace('_', ' ')),
    ` by ${entry.actor.id} (${entry.via})`,
    detail ? h('span', { class: 'detail' }, ` — ${detail}`) : null,
  ]);
}

function playbookView(book: Playbook): Node[] {
  return [
    h('h3', { id: 'playbook-title' }, `Playbook of ${book.service}`),
    book.runbook && /^https?:\/\//.test(book.runbook)
      ? h(
          'p',
          {},
          'Runbook: ',
          h('a', { href: book.runbook, rel: 'noopener noreferrer', target: '_blank' }, book.runbook),
        )
      : h('p', { class: 'hint' }, 'No runbook configured'),
    book.issues.length
      ? h(
          'ul',
          {},
          book.issues.map((issue) =>
            h('li', {}, [
              h('strong', {}, issue.title),
              ` — ${issue.times}×`,
              issue.medianTtrMs !== null ? `, median fix ${span(issue.medianTtrMs)}` : '',
              issue.fixes.length
                ? h(
                    'ul',
                    {},
                    issue.fixes.map((f) => h('li', {}, `${f.note} (${f.count}×)`)),
                  )
                : null,
            ]),
          ),
        )
      : h('p', { class: 'hint' }, 'No recurring issues recorded yet'),
  ];
}

void start();
