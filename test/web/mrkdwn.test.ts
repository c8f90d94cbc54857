import { describe, expect, it } from 'vitest';
import {
  decodeEscapes,
  emojify,
  formatSlackDate,
  type Inline,
  parseInline,
  parseMrkdwn,
} from '../../web/slack/mrkdwn.js';

/** The words a tree shows, marks left out: what a reader sees. */
function words(nodes: readonly Inline[]): string {
  return nodes.map(word).join('');
}

function word(n: Inline): string {
  switch (n.type) {
    case 'text':
    case 'code':
      return n.text;
    case 'bold':
    case 'italic':
    case 'strike':
      return words(n.children);
    case 'link':
      return n.label;
    case 'user':
    case 'channel':
    case 'usergroup':
      return `@${n.id}`;
    case 'special':
      return `@${n.name}`;
    case 'date':
      return n.fallback;
    case 'emoji':
      return n.char;
    case 'break':
      return '\n';
  }
}

describe("the offline Slack page's mrkdwn reader", () => {
  it('reads bold, italic, strike and code, nested as Slack nests them', () => {
    expect(parseInline('*TMS-4* is _now_ ~late~ see `npm start`')).toEqual([
      { type: 'bold', children: [{ type: 'text', text: 'TMS-4' }] },
      { type: 'text', text: ' is ' },
      { type: 'italic', children: [{ type: 'text', text: 'now' }] },
      { type: 'text', text: ' ' },
      { type: 'strike', children: [{ type: 'text', text: 'late' }] },
      { type: 'text', text: ' see ' },
      { type: 'code', text: 'npm start' },
    ]);
    expect(parseInline('*bold _and italic_*')).toEqual([
      {
        type: 'bold',
        children: [
          { type: 'text', text: 'bold ' },
          { type: 'italic', children: [{ type: 'text', text: 'and italic' }] },
        ],
      },
    ]);
  });

  it('leaves a marker inside a word, with a space inside it, or across a line as text', () => {
    for (const text of ['snake_case_name', 'a * b * c', '2*3*4', '*not\nbold*', '* loose *'])
      expect(parseInline(text)).toEqual([{ type: 'text', text }]);
  });

  it('reads ``` blocks and > quotes, also as Slack stores them escaped (&gt;)', () => {
    expect(parseMrkdwn('before\n```\nconst a = *b*;\n```\n> quoted *line*\n&gt; and this\nafter')).toEqual([
      { type: 'paragraph', children: [{ type: 'text', text: 'before\n' }] },
      { type: 'pre', text: 'const a = *b*;' },
      {
        type: 'quote',
        children: [
          { type: 'text', text: 'quoted ' },
          { type: 'bold', children: [{ type: 'text', text: 'line' }] },
          { type: 'text', text: '\nand this' },
        ],
      },
      { type: 'paragraph', children: [{ type: 'text', text: 'after' }] },
    ]);
  });

  it("decodes Slack's three escapes, once, and only those", () => {
    expect(decodeEscapes('a &lt;b&gt; &amp;lt; &quot; &')).toBe('a <b> &lt; &quot; &');
    expect(parseInline('x &lt;script&gt;alert(1)&lt;/script&gt;')).toEqual([
      { type: 'text', text: 'x <script>alert(1)</script>' },
    ]);
  });

  it('reads links, mentions, channels, user groups and special mentions', () => {
    expect(
      parseInline(
        '<https://wiki.example/a?b=1&amp;c=2|the runbook> <@U01AAA> <@U01BBB|ben> <#C0CHECKOUT|checkout> <!subteam^S0PAYMENTS|@payments> <!here> <mailto:a@b.example>',
      ),
    ).toEqual([
      { type: 'link', url: 'https://wiki.example/a?b=1&c=2', label: 'the runbook' },
      { type: 'text', text: ' ' },
      { type: 'user', id: 'U01AAA' },
      { type: 'text', text: ' ' },
      { type: 'user', id: 'U01BBB', label: 'ben' },
      { type: 'text', text: ' ' },
      { type: 'channel', id: 'C0CHECKOUT', label: 'checkout' },
      { type: 'text', text: ' ' },
      { type: 'usergroup', id: 'S0PAYMENTS', label: '@payments' },
      { type: 'text', text: ' ' },
      { type: 'special', name: 'here' },
      { type: 'text', text: ' ' },
      { type: 'link', url: 'mailto:a@b.example', label: 'mailto:a@b.example' },
    ]);
  });

  it('never makes a link of a javascript: or data: URL', () => {
    const nodes = parseInline('<javascript:alert(1)|click> <data:text/html,x>');
    expect(nodes.some((n) => n.type === 'link')).toBe(false);
    expect(words(nodes)).toBe('click <data:text/html,x>');
  });

  it('reads <!date^…> tokens, and formats them in the time zone asked, with their fallback kept', () => {
    const [date] = parseInline('<!date^1764835200^{date_short_pretty} {time}|2025-12-04T08:00:00Z>');
    expect(date).toEqual({
      type: 'date',
      epoch: 1764835200,
      format: '{date_short_pretty} {time}',
      fallback: '2025-12-04T08:00:00Z',
    });
    const at = 1764835200; // 2025-12-04 08:00 UTC
    expect(formatSlackDate(at, '{date_short_pretty} {time}', Date.UTC(2025, 11, 4, 12), 'UTC')).toBe(
      'today 8:00 AM',
    );
    expect(formatSlackDate(at, '{date_short_pretty} {time}', Date.UTC(2025, 11, 5, 12), 'UTC')).toBe(
      'yesterday 8:00 AM',
    );
    expect(formatSlackDate(at, '{date_short_pretty} at {time}', Date.UTC(2026, 0, 20), 'UTC')).toBe(
      'Dec 4, 2025 at 8:00 AM',
    );
    expect(formatSlackDate(at, '{time}', 0, 'America/New_York')).toBe('3:00 AM');
    expect(formatSlackDate(at, '{date_num} {date} · {date_long}', 0, 'UTC')).toBe(
      '2025-12-04 December 4th, 2025 · Thursday, December 4th, 2025',
    );
    expect(formatSlackDate(at, '{ago}', (at + 7200) * 1000, 'UTC')).toBe('2 hours ago');
    expect(formatSlackDate(at, '{nonsense} {', 0, 'UTC')).toBe('{nonsense} {');
  });

  it('shows a <!date^…> beyond what a Date holds as its fallback, and keeps one at the very edge', () => {
    for (const epoch of ['-1e308', '1e14', '99999999999999', 'NaN', 'Infinity', '0x', '1e3e3'])
      expect(words(parseInline(`<!date^${epoch}^{date_pretty}|the label>`)), epoch).toBe('the label');
    // 8.64e15 ms is the last instant a JS Date holds: still a date, and it formats.
    const [edge] = parseInline('<!date^8640000000000^{date_num}|edge>');
    expect(edge).toMatchObject({ type: 'date', epoch: 8.64e12 });
    expect(formatSlackDate(8.64e12, '{date_num}', 0, 'UTC')).toBe('275760-09-13');
  });

  it('shows the emoji TMS writes and leaves unknown names as written', () => {
    expect(words(parseInline(':rotating_light: :tada: :not_an_emoji: 10:30:00'))).toBe(
      '🚨 🎉 :not_an_emoji: 10:30:00',
    );
    expect(emojify('Claim :white_check_mark: at 10:30')).toBe('Claim ✅ at 10:30');
  });

  // Each of these takes quadratic time in a reader that looks for a closer from every opener. What is asserted
  // is what such a run would also get right (the text kept whole); the reading itself finishing within the
  // test's timeout is the point, at 100,000 characters a quadratic reader does not.
  it.each([
    ['<', '<'.repeat(100_000)],
    ['*', '*'.repeat(100_000)],
    ['* a', '*a '.repeat(33_000)],
    ['_', '_x'.repeat(50_000)],
    ['`', '`'.repeat(100_000)],
    [':', ':'.repeat(100_000)],
    ['&', '&'.repeat(100_000)],
    ['<!date^', '<!date^'.repeat(15_000)],
    ['```', '```x'.repeat(25_000)],
    ['>', '> a\n'.repeat(25_000)],
  ])('reads 100,000 characters of %s whole', (_, text) => {
    const blocks = parseMrkdwn(text);
    const shown = blocks
      .map((b) => (b.type === 'pre' ? `\`\`\`${b.text}\`\`\`` : words(b.children)))
      .join('');
    expect(shown.length).toBeGreaterThan(0);
    if (!text.includes('`') && !text.includes('>')) expect(shown).toBe(text);
  });

  it('keeps a long line of openers as text when nothing closes them', () => {
    const text = `${'*a '.repeat(20_000)}end`;
    const nodes = parseInline(text);
    expect(nodes).toEqual([{ type: 'text', text }]);
  });
});
