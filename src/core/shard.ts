/**
 * A stable small number from a string (FNV-1a, 32 bits), for spreading one kind of item over `shards` keys:
 * the same text always lands in the same shard, on every machine and in every release.
 */
export function shardOf(text: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}
