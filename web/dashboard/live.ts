import type { Task, Trend } from './types.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  /** The newest `updatedAt` the page has seen: what a (re)connect asks the server for changes since. */
  since(): string | null;
  taskChanged(task: Task): void;
  taskDeleted(taskId: string): void;
  trend(trend: Trend): void;
  /** A catch-up the server cut short (`complete: false`): the page reloads the list instead. */
  caughtUp(complete: boolean): void;
  state(state: LiveState): void;
}

const PING_MS = 5 * 60_000; // API Gateway drops a WebSocket idle for 10 minutes
const MAX_BACKOFF_MS = 30_000;

/**
 * The live updates (`/api/live`): on every open it asks for what changed since the newest change it saw, so a
 * dropped connection misses nothing; it reconnects with jittered exponential backoff (1 s doubling to 30 s),
 * so a restarted server is not met by every wall screen at once. The page keeps working without it.
 */
export function connectLive(url: () => string, handlers: LiveHandlers): { close(): void } {
  let socket: WebSocket | undefined;
  let attempt = 0;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let ping: ReturnType<typeof setInterval> | undefined;

  const open = () => {
    handlers.state(attempt === 0 ? 'connecting' : 'reconnecting');
    try {
      socket = new WebSocket(url()); // the token as it is now: renewed tokens reconnect with the new one
    } catch {
      schedule();
      return;
    }
    socket.addEventListener('open', () => {
      attempt = 0;
      handlers.state('live');
      const at = handlers.since();
      socket?.send(JSON.stringify({ type: 'since', at: at ?? new Date(0).toISOString() }));
      ping = setInterval(() => socket?.send(JSON.stringify({ type: 'ping' })), PING_MS);
    });
    socket.addEventListener('message', (event) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(String(event.data)) as Record<string, unknown>;
      } catch {
        return; // not JSON: nothing the page can act on
      }
      if (message.type === 'task.changed' && message.task) handlers.taskChanged(message.task as Task);
      else if (message.type === 'task.deleted' && typeof message.taskId === 'string')
        handlers.taskDeleted(message.taskId);
      else if (message.type === 'trend' && message.trend) handlers.trend(message.trend as Trend);
      else if (message.type === 'caught_up') handlers.caughtUp(message.complete !== false);
    });
    socket.addEventListener('close', () => {
      clearInterval(ping);
      socket = undefined;
      if (!closed) schedule();
    });
  };

  const schedule = () => {
    handlers.state('reconnecting');
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt++;
    retry = setTimeout(open, delay);
  };

  open();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(ping);
      socket?.close();
    },
  };
}

/** `ws(s)://<this host>/api/live?token=…`, unless the config names the WebSocket API (on AWS). */
export function liveUrl(configured: string | null, token: string): string {
  const url = configured ? new URL(configured) : new URL('/api/live', location.href.replace(/^http/, 'ws'));
  url.searchParams.set('token', token);
  return url.toString();
}
