import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local store's integrity, checked before LevelDB opens it. LevelDB (under dynalite, in TMS_DATA_DIR)
 * recovers its write-ahead log on open and, without `paranoid_checks` (which classic-level does not expose),
 * drops every record that fails its checksum without a word, then rewrites the store without them: a few
 * bytes of garbage silently roll tasks back. So every record of the logs (`*.log`, and the `MANIFEST-*` that
 * lists the tables, which has the same format) is checked against its CRC-32C here, and each table's footer
 * and index block too, while nothing has been dropped yet.
 *
 * The formats: https://github.com/google/leveldb/blob/main/doc/log_format.md and table_format.md.
 */

export interface Damage {
  readonly file: string;
  /** Where the first bad record starts, in bytes. */
  readonly offset: number;
  /** Bytes LevelDB would drop (at least the bad records; what follows them in their block may go too). */
  readonly bytes: number;
  readonly reason: string;
}

export interface StoreReport {
  readonly damage: readonly Damage[];
  /** A log whose last record was cut short (a write the machine never finished): LevelDB ignores it, as it was never acknowledged. */
  readonly tornTail: readonly string[];
}

const BLOCK = 32_768;
const HEADER = 7;

export function checkStore(folder: string): StoreReport {
  if (!existsSync(folder)) return { damage: [], tornTail: [] };
  const damage: Damage[] = [];
  const tornTail: string[] = [];
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (/^\d+\.log$/.test(name) || /^MANIFEST-\d+$/.test(name)) {
      const result = checkLog(readFileSync(path));
      if (result.damage) damage.push({ file: name, ...result.damage });
      if (result.torn) tornTail.push(name);
    } else if (/^\d+\.(ldb|sst)$/.test(name)) {
      const problem = checkTable(path);
      if (problem)
        damage.push({ file: name, offset: problem.offset, bytes: problem.bytes, reason: problem.reason });
    }
  }
  return { damage, tornTail };
}

/** Every record of a log file; the damage found (bytes summed over bad records) and whether its tail is torn. */
export function checkLog(data: Buffer): { damage?: Omit<Damage, 'file'>; torn: boolean } {
  let first: number | undefined;
  let reason = '';
  let bad = 0;
  let torn = false;
  for (let block = 0; block < data.length; block += BLOCK) {
    const end = Math.min(block + BLOCK, data.length);
    let at = block;
    while (end - at >= HEADER) {
      const length = data.readUInt16LE(at + 4);
      const type = data[at + 6] ?? 0;
      if (type === 0 && length === 0) break; // zeros a writer preallocated: the rest of the block is empty
      if (at + HEADER + length > end) {
        // A writer never makes a record longer than what is left of its block (LevelDB fragments across
        // blocks), so only a record that would fit is a write the file's end cut short; a longer "length"
        // is garbage, however near the end it sits.
        const fits = HEADER + length <= BLOCK - (at - block);
        if (fits && end === data.length && block + BLOCK > data.length) {
          torn = true; // the file ends inside this record: a write never finished
        } else {
          first ??= at;
          reason ||= 'a record runs past its block (bad record length)';
          bad += end - at;
        }
        break;
      }
      const expected = unmask(data.readUInt32LE(at));
      const actual = crc32c(data.subarray(at + 6, at + HEADER + length));
      if (expected !== actual || type > 4) {
        first ??= at;
        reason ||= type > 4 ? `a record of unknown type ${type}` : 'a record fails its checksum';
        bad += HEADER + length;
      }
      at += HEADER + length;
    }
  }
  return first === undefined ? { torn } : { damage: { offset: first, bytes: bad, reason }, torn };
}

const TABLE_MAGIC = Buffer.from([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]);

/** A table's footer (its magic number) and its index and metaindex blocks (their checksums). */
function checkTable(path: string): { offset: number; bytes: number; reason: string } | undefined {
  const size = statSync(path).size;
  if (size < 48) return { offset: 0, bytes: size, reason: 'a table shorter than its footer' };
  const fd = openSync(path, 'r');
  try {
    const read = (offset: number, length: number) => {
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, offset);
      return buffer;
    };
    const footer = read(size - 48, 48);
    if (!footer.subarray(40).equals(TABLE_MAGIC))
      return { offset: size - 48, bytes: 48, reason: 'a table whose footer is not a table footer' };
    let at = 0;
    const varint = () => {
      let value = 0;
      for (let shift = 0; shift < 64 && at < 40; shift += 7) {
        const byte = footer[at++] ?? 0;
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return value;
      }
      return -1;
    };
    const handles = [
      { offset: varint(), size: varint() },
      { offset: varint(), size: varint() },
    ];
    for (const handle of handles) {
      if (handle.offset < 0 || handle.size < 0 || handle.offset + handle.size + 5 > size - 48)
        return { offset: size - 48, bytes: 48, reason: 'a table footer that points outside the table' };
      const block = read(handle.offset, handle.size + 5);
      const expected = unmask(block.readUInt32LE(handle.size + 1));
      if (crc32c(block.subarray(0, handle.size + 1)) !== expected)
        return {
          offset: handle.offset,
          bytes: handle.size + 5,
          reason: 'a table index block fails its checksum',
        };
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const unmask = (masked: number) => {
  const rot = (masked - 0xa282ead8) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
};

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), LevelDB's checksum. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A store found damaged: TMS does not start on it unless told to accept the loss. */
export class StoreDamaged extends Error {
  override readonly name = 'StoreDamaged';
  constructor(
    readonly folder: string,
    readonly report: StoreReport,
  ) {
    super(damageMessage(folder, report, false));
  }
}

export function damageMessage(folder: string, report: StoreReport, accepted: boolean): string {
  const lines = report.damage.map(
    (d) => `  ${join(folder, d.file)}: ${d.reason} at byte ${d.offset} (${d.bytes} bytes unreadable)`,
  );
  const aside = `${folder.replace(/\/+$/, '')}.damaged-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}`;
  return accepted
    ? [
        `THE STORE IN ${folder} IS DAMAGED, and TMS_ACCEPT_DAMAGED_STORE is set: starting on it anyway.`,
        ...lines,
        '  What those records held is lost: tasks may be back at an earlier state, and deliveries acknowledged',
        '  (202) in them are gone; senders will not send them again.',
      ].join('\n')
    : [
        `The store in ${folder} (TMS_DATA_DIR) is damaged, so TMS does not start on it:`,
        ...lines,
        '  LevelDB would drop those records without a word, and tasks would silently go back to an earlier state.',
        'The way out, with TMS stopped:',
        `  - move it aside and start with an empty store:   mv '${folder}' '${aside}'`,
        '  - or put back a copy of the folder you kept (a copy taken while TMS was stopped),',
        '  - or start on it anyway, accepting the loss:      TMS_ACCEPT_DAMAGED_STORE=1 npm start',
      ].join('\n');
}
