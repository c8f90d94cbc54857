/**
 * Durations (time to acknowledge, time to resolve) as a bounded histogram: a fixed list of bucket bounds,
 * so any two histograms merge by adding counts, every one has the same small size whatever it has seen, and
 * it is stored as a plain list in a DynamoDB item. Written here rather than taken from a library (HDR
 * histograms, t-digests) because those need their own encoding to be stored and merged, and durations of
 * incidents need no more than about 20% precision.
 */

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** Upper bounds of the buckets, in milliseconds; the last bucket holds everything longer. */
export const BUCKET_BOUNDS: readonly number[] = [
  30 * S,
  M,
  2 * M,
  3 * M,
  5 * M,
  7 * M,
  10 * M,
  15 * M,
  20 * M,
  30 * M,
  45 * M,
  H,
  1.5 * H,
  2 * H,
  3 * H,
  4 * H,
  6 * H,
  8 * H,
  12 * H,
  D,
  2 * D,
  3 * D,
  7 * D,
  14 * D,
  30 * D,
];

export interface Histogram {
  /** Counts per bucket: `BUCKET_BOUNDS.length + 1` entries, the last for anything above the last bound. */
  readonly counts: readonly number[];
  readonly total: number;
  /** Sum of the values, for an exact mean. */
  readonly sumMs: number;
  readonly minMs: number | null;
  readonly maxMs: number | null;
}

export const emptyHistogram = (): Histogram => ({
  counts: new Array(BUCKET_BOUNDS.length + 1).fill(0),
  total: 0,
  sumMs: 0,
  minMs: null,
  maxMs: null,
});

function bucketOf(ms: number): number {
  const index = BUCKET_BOUNDS.findIndex((bound) => ms <= bound);
  return index === -1 ? BUCKET_BOUNDS.length : index;
}

/** The histogram with one more value (negative durations, from clock skew, count as zero). */
export function record(histogram: Histogram, valueMs: number): Histogram {
  const ms = Math.max(0, Math.round(valueMs));
  const counts = [...histogram.counts];
  const bucket = bucketOf(ms);
  counts[bucket] = (counts[bucket] ?? 0) + 1;
  return {
    counts,
    total: histogram.total + 1,
    sumMs: histogram.sumMs + ms,
    minMs: histogram.minMs === null ? ms : Math.min(histogram.minMs, ms),
    maxMs: histogram.maxMs === null ? ms : Math.max(histogram.maxMs, ms),
  };
}

export function merge(a: Histogram, b: Histogram): Histogram {
  return {
    counts: a.counts.map((count, i) => count + (b.counts[i] ?? 0)),
    total: a.total + b.total,
    sumMs: a.sumMs + b.sumMs,
    minMs: a.minMs === null ? b.minMs : b.minMs === null ? a.minMs : Math.min(a.minMs, b.minMs),
    maxMs: a.maxMs === null ? b.maxMs : b.maxMs === null ? a.maxMs : Math.max(a.maxMs, b.maxMs),
  };
}

export const mean = (histogram: Histogram): number | null =>
  histogram.total === 0 ? null : histogram.sumMs / histogram.total;

/**
 * The value below which a share `p` (0..1) of the values fall, interpolated within its bucket and held
 * within the smallest and largest value seen; null when the histogram is empty.
 */
export function percentile(histogram: Histogram, p: number): number | null {
  if (histogram.total === 0 || histogram.minMs === null || histogram.maxMs === null) return null;
  const rank = Math.min(1, Math.max(0, p)) * histogram.total;
  let below = 0;
  for (let i = 0; i < histogram.counts.length; i++) {
    const count = histogram.counts[i] ?? 0;
    if (count > 0 && below + count >= rank) {
      const lower = Math.max(i === 0 ? 0 : (BUCKET_BOUNDS[i - 1] ?? 0), histogram.minMs);
      const upper = Math.min(BUCKET_BOUNDS[i] ?? histogram.maxMs, histogram.maxMs);
      const within = count === 0 ? 0 : (rank - below) / count;
      return Math.round(lower + (Math.max(upper, lower) - lower) * within);
    }
    below += count;
  }
  return histogram.maxMs;
}

/** A histogram read back from storage, refused when it is not one (a bucket layout from another version). */
export function parseHistogram(value: unknown): Histogram {
  const h = value as Partial<Histogram> | undefined;
  if (!h || !Array.isArray(h.counts) || h.counts.length !== BUCKET_BOUNDS.length + 1) return emptyHistogram();
  return {
    counts: h.counts.map((c) => Number(c) || 0),
    total: Number(h.total) || 0,
    sumMs: Number(h.sumMs) || 0,
    minMs: h.minMs === null || h.minMs === undefined ? null : Number(h.minMs),
    maxMs: h.maxMs === null || h.maxMs === undefined ? null : Number(h.maxMs),
  };
}
