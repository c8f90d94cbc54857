/**
 * Which time TMS counts an event at. A sender says when its event happened (`payload.timestamp`,
 * Alertmanager's `startsAt`/`endsAt`, a build's start), and TMS knows when it received it. The sender's
 * time is the better one when it is plausible, since a delivery waits in queues, batches and retries
 * (Alertmanager holds a group for `group_wait`/`group_interval`, minutes); but a sender's clock may be
 * wrong, a replay tool sends old events again, and static examples carry dates years old. Counted at such
 * a time, a storm lands in an hourly slot long gone and no trend, window or stat ever sees it.
 */

/** How far ahead of TMS a sender's clock may run: a time within this after receipt is the receipt. */
export const CLOCK_SKEW_MS = 2 * 60_000;

/**
 * How long before its receipt an event may have happened and still be counted at the sender's time.
 * Senders that say when an event happened send it within minutes: Prometheus' `startsAt` is the firing
 * time, and Alertmanager's group_wait and group_interval (30 s and 5 min by default) are the usual delay;
 * CI and Kubernetes events arrive within seconds. Anything an hour old is a replay, a static example or a
 * clock that is wrong, and is counted when it arrived. An hour is also the trend window's default: a storm
 * counted at its senders' times still falls within the window that is read when it arrives.
 */
export const SENDER_TIME_BOUND_MS = 60 * 60_000;

export interface PlausibleTime {
  /** The time TMS counts the event at: the sender's when plausible, else the receipt (never before `notBefore`). */
  readonly at: string;
  /** The sender's own time, when it is more than the skew away from `at` (the card says what it said). */
  readonly reported?: string;
}

export interface TimeBounds {
  /** When TMS received the event. */
  readonly receivedAt: string | Date;
  /**
   * No earlier than this: when the task's clock started, for an occurrence, acknowledgement or resolve of
   * a task that is open already (nothing about it happened before it opened).
   */
  readonly notBefore?: string;
}

/**
 * The time an event is counted at: the sender's time when it is no later than the receipt plus the skew,
 * no earlier than `notBefore` and no more than `SENDER_TIME_BOUND_MS` before the receipt; otherwise the
 * receipt (or `notBefore`, when the receipt is before it: a re-driven delivery received before the task
 * opened). A sender's time ahead of the receipt within the skew is its clock running fast: the receipt.
 * So the result lies in [max(notBefore, receipt − bound), max(receipt, notBefore)].
 */
export function plausibleTime(reported: string | undefined, bounds: TimeBounds): PlausibleTime {
  const received = new Date(bounds.receivedAt).getTime();
  const notBefore = bounds.notBefore === undefined ? Number.NEGATIVE_INFINITY : Date.parse(bounds.notBefore);
  const fallback = Math.max(received, notBefore);
  const said = reported === undefined ? Number.NaN : Date.parse(reported);
  if (Number.isNaN(said)) return { at: new Date(fallback).toISOString() };
  const plausible =
    said <= received + CLOCK_SKEW_MS && said >= received - SENDER_TIME_BOUND_MS && said >= notBefore;
  const at = plausible ? Math.min(said, fallback) : fallback;
  return {
    at: new Date(at).toISOString(),
    ...(Math.abs(said - at) > CLOCK_SKEW_MS ? { reported: new Date(said).toISOString() } : {}),
  };
}
