import { describe, expect, it } from 'vitest';
import { parseCommand, USAGE } from '../../src/bot/command.js';

const SERVICES = ['checkout', 'payments-api'];
const parse = (text: string) => parseCommand(text, SERVICES);
const command = (text: string) => {
  const parsed = parse(text);
  if (!parsed.ok) throw new Error(`did not parse: ${parsed.problem}`);
  return parsed.command;
};
const usageOf = (text: string) => {
  const parsed = parse(text);
  if (parsed.ok) throw new Error(`parsed: ${JSON.stringify(parsed.command)}`);
  return parsed;
};

describe('/tms new', () => {
  it('takes the title and, from its last words, a priority, a service and a person, in any order', () => {
    expect(command('new Disk full on db-1 p2')).toEqual({
      name: 'new',
      title: 'Disk full on db-1',
      priority: 'P2',
    });
    expect(command('new Fix it <@U01BBB|ben> checkout P1')).toEqual({
      name: 'new',
      title: 'Fix it',
      priority: 'P1',
      service: 'checkout',
      assignee: 'U01BBB',
    });
    expect(command('new Checkout is slow checkout')).toMatchObject({
      title: 'Checkout is slow',
      service: 'checkout',
    });
  });

  it('reads an option word only once and only at the end: the rest is title', () => {
    expect(command('new p1 outage in checkout p2')).toEqual({
      name: 'new',
      title: 'p1 outage in',
      priority: 'P2',
      service: 'checkout',
    });
    expect(command('new p2 p3')).toEqual({ name: 'new', title: 'p2', priority: 'P3' });
  });

  it('reads a hand-typed @U… as the person, in any order with the priority and the service', () => {
    expect(command('new Payment API down p1 checkout @U01BBB')).toEqual({
      name: 'new',
      title: 'Payment API down',
      priority: 'P1',
      service: 'checkout',
      assignee: 'U01BBB',
    });
    expect(command('new Payment API down @U01BBB checkout p1')).toMatchObject({
      title: 'Payment API down',
      assignee: 'U01BBB',
    });
  });

  it('refuses options with no title, saying how they were read', () => {
    expect(usageOf('new p1')).toEqual({
      ok: false,
      problem: 'A task needs a title before its options; this read "p1" as its priority',
      usage: USAGE.new,
    });
    expect(usageOf('new checkout p2').problem).toContain('"checkout" as its service');
  });

  it('reports a last word after the options that is no service, and an @name Slack sent as text', () => {
    expect(command('new Something p2 nosuchservice')).toEqual({
      name: 'new',
      title: 'Something nosuchservice',
      priority: 'P2',
      unrecognised: { service: 'nosuchservice' },
    });
    // Without options before it, the last word is simply the title's.
    expect(command('new Checkout errors again')).toEqual({ name: 'new', title: 'Checkout errors again' });
    expect(command('new Disk full p2 @bob')).toEqual({
      name: 'new',
      title: 'Disk full',
      priority: 'P2',
      unrecognised: { person: '@bob' },
    });
  });

  it('decodes what Slack encoded and keeps what the person typed, without taking it for a mention', () => {
    expect(command('new &lt;!channel&gt; deploy &amp; rollback broke')).toEqual({
      name: 'new',
      title: '<!channel> deploy & rollback broke',
    });
    expect(command('new ping &lt;@U0EVIL&gt;')).toEqual({ name: 'new', title: 'ping <@U0EVIL>' });
  });

  it('opens the form when bare', () => {
    expect(command('new')).toEqual({ name: 'new' });
  });
});

describe('subcommands on a task', () => {
  it('accepts TMS-42, tms-42 and 42', () => {
    for (const id of ['TMS-42', 'tms-42', '42'])
      expect(command(`claim ${id}`)).toEqual({ name: 'claim', id: 'TMS-42' });
  });

  it('reads each form', () => {
    expect(command('ack 7')).toEqual({ name: 'ack', id: 'TMS-7' });
    expect(command('acknowledge 7')).toEqual({ name: 'ack', id: 'TMS-7' });
    expect(command('start 7')).toEqual({ name: 'start', id: 'TMS-7' });
    expect(command('reopen 7')).toEqual({ name: 'reopen', id: 'TMS-7' });
    expect(command('show 7')).toEqual({ name: 'show', id: 'TMS-7' });
    expect(command('assign 7 <@U01BBB|ben>')).toEqual({ name: 'assign', id: 'TMS-7', assignee: 'U01BBB' });
    expect(command('assign 7 <@U01BBB>')).toEqual({ name: 'assign', id: 'TMS-7', assignee: 'U01BBB' });
    expect(command('assign 7 U01BBB')).toEqual({ name: 'assign', id: 'TMS-7', assignee: 'U01BBB' });
    expect(command('priority 7 P1')).toEqual({ name: 'priority', id: 'TMS-7', priority: 'P1' });
    expect(command('resolve 7 restarted the &lt;consumer&gt;')).toEqual({
      name: 'resolve',
      id: 'TMS-7',
      note: 'restarted the <consumer>',
    });
    expect(command('resolve 7')).toEqual({ name: 'resolve', id: 'TMS-7' });
    expect(command('comment 7 lag is 40k')).toEqual({ name: 'comment', id: 'TMS-7', text: 'lag is 40k' });
    expect(command('snooze 7 2h')).toEqual({ name: 'snooze', id: 'TMS-7', duration: '2h' });
  });

  it('answers each mistake with the usage of what was meant', () => {
    expect(usageOf('claim')).toEqual({ ok: false, problem: '`claim` needs a task id', usage: USAGE.claim });
    expect(usageOf('claim abc')).toMatchObject({ problem: '"abc" is not a task id such as TMS-42 or 42' });
    expect(usageOf('claim 7 now')).toMatchObject({ usage: USAGE.claim });
    expect(usageOf('assign 7')).toMatchObject({ usage: USAGE.assign });
    expect(usageOf('assign 7 ben')).toMatchObject({ usage: USAGE.assign });
    expect(usageOf('priority 7 urgent')).toMatchObject({ usage: USAGE.priority });
    expect(usageOf('priority 7 p5')).toMatchObject({ usage: USAGE.priority });
    expect(usageOf('comment 7')).toMatchObject({ usage: USAGE.comment });
    expect(usageOf('snooze 7')).toMatchObject({ usage: USAGE.snooze });
    expect(usageOf('snooze 7 2 h')).toMatchObject({ usage: USAGE.snooze });
  });
});

describe('/tms list, help and the rest', () => {
  it('lists open tasks unless told mine or all, by service and priority', () => {
    expect(command('list')).toEqual({ name: 'list', scope: 'open' });
    expect(command('list mine checkout p1')).toEqual({
      name: 'list',
      scope: 'mine',
      service: 'checkout',
      priority: 'P1',
    });
    expect(command('list all')).toEqual({ name: 'list', scope: 'all' });
    expect(usageOf('list bogus')).toMatchObject({ usage: USAGE.list });
  });

  it('treats nothing, help and ? as help; an unknown word gets a pointer to help, not the whole of it', () => {
    expect(command('')).toEqual({ name: 'help' });
    expect(command('help snooze')).toEqual({ name: 'help', topic: 'snooze' });
    expect(usageOf('frobnicate now')).toEqual({
      ok: false,
      problem: '`frobnicate` is not a TMS command; `/tms help` lists what TMS can do',
    });
  });

  it('answers a slip of the keyboard with the subcommand meant', () => {
    expect(usageOf('lsit')).toEqual({
      ok: false,
      problem: '`lsit` is not a TMS command: did you mean `list`?',
      usage: USAGE.list,
    });
    expect(usageOf('ackk 7')).toMatchObject({ problem: expect.stringContaining('did you mean `ack`?') });
    expect(usageOf('unsnoze 7')).toMatchObject({ usage: USAGE.unsnooze });
    expect(usageOf('silense checkout 2h')).toMatchObject({ usage: USAGE.silence });
    expect(usageOf('x'.repeat(5_000)).problem).toContain('`/tms help`');
  });

  it('reads unsnooze (and wake) with a task id', () => {
    expect(command('unsnooze 2')).toEqual({ name: 'unsnooze', id: 'TMS-2' });
    expect(command('wake TMS-2')).toEqual({ name: 'unsnooze', id: 'TMS-2' });
    expect(usageOf('unsnooze')).toMatchObject({ usage: USAGE.unsnooze });
  });

  it('reads silences: create, list, lift', () => {
    expect(command('silence checkout 2h deploy &amp; migration')).toEqual({
      name: 'silence',
      words: ['checkout', '2h', 'deploy', '&', 'migration'],
    });
    expect(command('silences')).toEqual({ name: 'silences' });
    expect(command('silences lift S-1A2B3C4D')).toEqual({ name: 'lift', id: 'S-1a2b3c4d' });
    expect(command('unsilence S-1a2b3c4d')).toEqual({ name: 'lift', id: 'S-1a2b3c4d' });
    expect(usageOf('silence')).toMatchObject({ usage: USAGE.silence });
    expect(usageOf('silences lift')).toMatchObject({ usage: USAGE.silences });
    expect(usageOf('silences lift banana')).toMatchObject({ usage: USAGE.silences });
    // A named silence that is no silence id is said to be so, not "name the silence".
    expect(usageOf('silences lift S-nope').problem).toMatch(/^"S-nope" is not a silence/);
    expect(usageOf('silences lift S-nope').problem).not.toContain('Name the silence');
  });
});

describe('/tms stats, trends, playbook, digest', () => {
  it('take an optional service and window, in either order, any service its alerts name', () => {
    expect(command('stats')).toEqual({ name: 'stats' });
    expect(command('stats checkout 7d')).toEqual({ name: 'stats', service: 'checkout', window: '7d' });
    expect(command('stats 30d billing-api')).toEqual({
      name: 'stats',
      service: 'billing-api',
      window: '30d',
    });
    expect(command('trends 4h')).toEqual({ name: 'trends', window: '4h' });
    expect(command('trends Checkout')).toEqual({ name: 'trends', service: 'checkout' });
  });

  it('playbook names one service; digest takes nothing', () => {
    expect(command('playbook checkout')).toEqual({ name: 'playbook', service: 'checkout' });
    expect(command('digest')).toEqual({ name: 'digest' });
  });

  it('answer a mistake with their usage', () => {
    expect(usageOf('stats checkout billing')).toMatchObject({ usage: USAGE.stats });
    expect(usageOf('trends <b>')).toMatchObject({ usage: USAGE.trends });
    expect(usageOf('playbook')).toMatchObject({ usage: USAGE.playbook });
    expect(usageOf('playbook a b')).toMatchObject({ usage: USAGE.playbook });
    expect(usageOf('digest now')).toMatchObject({ usage: USAGE.digest });
  });
});
