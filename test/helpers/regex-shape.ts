/**
 * A structural check that a regular expression runs in linear time on any input, for the patterns that see
 * what a sender sends. Three shapes backtrack super-linearly in V8's engine, and each is refused:
 * - nested: an unbounded quantifier inside a group that is itself repeated without bound (`(a+)+`);
 * - adjacent: two unbounded quantifiers over overlapping characters with nothing between them that one of
 *   them could not also take (`\d+\w*`, `.*a.*b`); a separator outside the second's class keeps it linear
 *   (`^(.+)-\d+$`: the digit runs after different dashes never overlap);
 * - unanchored retry: in a pattern not anchored at `^`, an unbounded quantifier followed by anything that can
 *   fail (`\b[\w.]+@`): the scan is redone from every start position (quadratic). One that nothing after it
 *   can fail (`\s+`, `\d+(\.\d+)?`) consumes what it scanned and is linear.
 * Bounded quantifiers (`{1,64}`) are linear by their bound. Character classes are compared on a sample of
 * characters (ASCII and a few beyond it), which is exact for the classes these patterns use.
 */
export interface Quantifier {
  readonly min: number;
  readonly max: number;
}
type Node =
  | { kind: 'atom'; source: string; zeroWidth: boolean; q: Quantifier }
  | { kind: 'group'; alternatives: Node[][]; lookaround: boolean; q: Quantifier };

const ONE: Quantifier = { min: 1, max: 1 };
const SAMPLE = [
  ...Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)),
  'é',
  '€',
  '\u00a0',
  '\u2028',
  '你',
];

function parse(source: string): Node[][] {
  let i = 0;
  const quantifier = (): Quantifier => {
    const c = source[i];
    let q: Quantifier = ONE;
    if (c === '*') q = { min: 0, max: Infinity };
    else if (c === '+') q = { min: 1, max: Infinity };
    else if (c === '?') q = { min: 0, max: 1 };
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (!m) return ONE;
      const min = Number(m[1]);
      q = { min, max: m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]) };
      i += m[0].length - 1;
    } else return ONE;
    i++;
    if (source[i] === '?') i++; // lazy: the same backtracking, in another order
    return q;
  };
  const alternatives = (): Node[][] => {
    const alts: Node[][] = [[]];
    while (i < source.length) {
      const c = source[i] as string;
      const seq = alts[alts.length - 1] as Node[];
      if (c === '|') {
        alts.push([]);
        i++;
      } else if (c === ')') {
        return alts;
      } else if (c === '(') {
        let lookaround = false;
        const head = /^\(\?(?::|=|!|<=|<!|<[A-Za-z_]\w*>)?/.exec(source.slice(i))?.[0] ?? '(';
        if (['(?=', '(?!', '(?<=', '(?<!'].includes(head)) lookaround = true;
        i += head.length;
        const inner = alternatives();
        i++; // ')'
        const q = quantifier();
        // An unrepeated group of one alternative is just its items, in sequence.
        if (!lookaround && inner.length === 1 && q.min === 1 && q.max === 1)
          seq.push(...(inner[0] as Node[]));
        else seq.push({ kind: 'group', alternatives: inner, lookaround, q });
      } else {
        let atom: string;
        if (c === '[') {
          let j = i + 1;
          if (source[j] === '^') j++;
          if (source[j] === ']') j++;
          while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
          atom = source.slice(i, j + 1);
        } else if (c === '\\') {
          const m = /^\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|u\{[0-9a-fA-F]+\}|c[A-Za-z]|\d+|.)/.exec(
            source.slice(i),
          );
          atom = m?.[0] ?? '\\';
        } else atom = c;
        i += atom.length;
        const zeroWidth = atom === '^' || atom === '$' || atom === '\\b' || atom === '\\B';
        seq.push({ kind: 'atom', source: atom, zeroWidth, q: zeroWidth ? ONE : quantifier() });
      }
    }
    return alts;
  };
  return alternatives();
}

const unbounded = (n: Node) => n.q.max === Infinity;
const zeroWidth = (n: Node) => (n.kind === 'atom' ? n.zeroWidth : n.lookaround);
/** Can this item fail to match where it is tried (so that what came before must backtrack)? */
const canFail = (n: Node) => zeroWidth(n) || n.q.min > 0;

function chars(n: Node, flags: string): Set<string> {
  if (n.kind === 'group')
    return new Set(n.lookaround ? [] : n.alternatives.flat().flatMap((m) => [...chars(m, flags)]));
  if (n.zeroWidth) return new Set();
  const re = new RegExp(`^(?:${n.source})$`, flags.replace(/[gy]/g, ''));
  return new Set(SAMPLE.filter((c) => re.test(c)));
}
const overlap = (a: Set<string>, b: Set<string>) => [...a].some((c) => b.has(c));
const hasUnbounded = (n: Node): boolean =>
  n.kind === 'group' && n.alternatives.flat().some((m) => unbounded(m) || hasUnbounded(m));

/** What makes this pattern super-linear, one line per finding; none for a linear one. */
export function superLinearShapes(regex: RegExp): string[] {
  const flags = regex.flags;
  const top = parse(regex.source);
  const findings: string[] = [];
  const anchored = top.every((seq) => seq[0]?.kind === 'atom' && seq[0].source === '^');
  const show = (n: Node) => (n.kind === 'atom' ? n.source : '(…)');

  const walk = (seq: Node[], afterCanFail: boolean) => {
    seq.forEach((node, index) => {
      const rest = seq.slice(index + 1);
      const tailCanFail = afterCanFail || rest.some(canFail);
      if (unbounded(node) && hasUnbounded(node))
        findings.push(`nested unbounded quantifiers in ${show(node)}`);
      if (unbounded(node) && !anchored && tailCanFail)
        findings.push(
          `${show(node)}${node.q.min ? '+' : '*'} is retried from every start and can fail after its run`,
        );
      if (unbounded(node)) {
        const a = chars(node, flags);
        const separators: Set<string>[] = [];
        for (const next of rest) {
          if (zeroWidth(next)) continue;
          const b = chars(next, flags);
          if (unbounded(next)) {
            if (overlap(a, b) && separators.every((s) => overlap(s, a) && overlap(s, b)))
              findings.push(
                `${show(node)} and ${show(next)} are adjacent unbounded runs over the same characters`,
              );
            break;
          }
          if (next.q.min === 0) continue; // optional: it may be skipped
          if (!overlap(b, a)) break; // the first run cannot pass it
          separators.push(b);
        }
      }
      if (node.kind === 'group') for (const alt of node.alternatives) walk(alt, tailCanFail);
    });
  };
  for (const seq of top) walk(seq, false);
  return findings;
}

/** The regular expression literals of a TypeScript source (a scanner good enough for this code base). */
export function regexLiterals(code: string): RegExp[] {
  const found: RegExp[] = [];
  const lines = code.split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l));
  for (const line of lines) {
    for (let i = 0; i < line.length; i++) {
      if (line[i] !== '/') continue;
      const before = line.slice(0, i).trimEnd();
      if (!/(^|[(,=:[!&|?{};]|\breturn)$/.test(before)) continue;
      if (line[i + 1] === '/' || line[i + 1] === '*') break; // a comment
      let j = i + 1;
      let inClass = false;
      while (j < line.length) {
        const c = line[j];
        if (c === '\\') j++;
        else if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) break;
        j++;
      }
      if (j >= line.length) continue;
      const flags = /^[dgimsuvy]*/.exec(line.slice(j + 1))?.[0] ?? '';
      try {
        found.push(new RegExp(line.slice(i + 1, j), flags));
      } catch {
        // not a regex after all (a division)
      }
      i = j + flags.length;
    }
  }
  return found;
}
