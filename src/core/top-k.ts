/**
 * The most frequent values of a stream in bounded space: the Space-Saving algorithm (Metwally, Agrawal and
 * El Abbadi, 2005). It keeps `capacity` counters; a value not among them takes the place of the least
 * counted one and inherits its count as its possible overcount (`error`). Any value seen more than
 * total / capacity times is guaranteed to be kept, and a count is never below the truth. A dozen lines, so
 * written here rather than added as a dependency.
 */
export interface TopKEntry {
  readonly value: string;
  readonly count: number;
  /** How much of `count` may belong to values this entry replaced. */
  readonly error: number;
}

export interface TopK {
  readonly capacity: number;
  readonly entries: readonly TopKEntry[];
}

export const emptyTopK = (capacity: number): TopK => ({ capacity, entries: [] });

export function offer(top: TopK, value: string, times = 1): TopK {
  const entries = [...top.entries];
  const known = entries.findIndex((e) => e.value === value);
  if (known !== -1) {
    const entry = entries[known] as TopKEntry;
    entries[known] = { ...entry, count: entry.count + times };
  } else if (entries.length < top.capacity) {
    entries.push({ value, count: times, error: 0 });
  } else {
    let least = 0;
    for (let i = 1; i < entries.length; i++)
      if ((entries[i]?.count ?? 0) < (entries[least]?.count ?? 0)) least = i;
    const replaced = entries[least] as TopKEntry;
    entries[least] = { value, count: replaced.count + times, error: replaced.count };
  }
  return { capacity: top.capacity, entries };
}

/** The `n` most frequent values, most frequent first (ties by value, so the order is stable). */
export function top(topK: TopK, n = topK.capacity): TopKEntry[] {
  return [...topK.entries].sort((a, b) => b.count - a.count || a.value.localeCompare(b.value)).slice(0, n);
}

export function parseTopK(value: unknown, capacity: number): TopK {
  const raw = value as Partial<TopK> | undefined;
  if (!raw || !Array.isArray(raw.entries)) return emptyTopK(capacity);
  return {
    capacity,
    entries: raw.entries
      .filter((e): e is TopKEntry => typeof e?.value === 'string')
      .map((e) => ({ value: e.value, count: Number(e.count) || 0, error: Number(e.error) || 0 }))
      .slice(0, capacity),
  };
}
