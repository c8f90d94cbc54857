import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { type DeliveryInbox, type RawEvent, rawOrder } from '../../src/core/ports.js';

/**
 * What every DeliveryInbox promises: a delivery archived once, whatever its size, listed while pending, taken
 * by one holder at a time, moved aside when dead and revived on request. Runs over the in-memory fake and over
 * the DynamoDB adapter.
 */
export function deliveryInboxContract(name: string, makeInbox: () => Promise<DeliveryInbox>): void {
  describe(`${name}: the DeliveryInbox contract`, () => {
    let inbox: DeliveryInbox;
    beforeEach(async () => {
      inbox = await makeInbox();
    });

    const event = (deliveryId: string, receivedAt: string): RawEvent => ({
      source: 'github',
      deliveryId,
      receivedAt,
      headers: { 'x-github-event': 'workflow_run' },
      body: '{"action":"completed"}',
      expiresAt: '2026-04-01T00:00:00.000Z',
    });

    it('archives a delivery once and lists the unprocessed ones oldest first', async () => {
      expect(await inbox.archiveRaw(event('d2', '2026-03-02T09:00:02.000Z'))).toBe('archived');
      expect(await inbox.archiveRaw(event('d1', '2026-03-02T09:00:01.000Z'))).toBe('archived');
      expect(await inbox.archiveRaw(event('d3', '2026-03-02T09:00:03.000Z'))).toBe('archived');
      expect(await inbox.archiveRaw(event('d1', '2026-03-02T09:05:00.000Z'))).toBe('duplicate');
      expect(await inbox.getRaw('github', 'd1')).toEqual(event('d1', '2026-03-02T09:00:01.000Z'));

      await inbox.markRawProcessed('github', 'd2', '2026-03-02T09:00:05.000Z', ['TMS-4']);
      const pending = await inbox.unprocessedRaw('2026-03-02T09:10:00.000Z', 10);
      expect(pending.map((e) => e.deliveryId)).toEqual(['d1', 'd3']);
      expect((await inbox.unprocessedRaw('2026-03-02T09:00:02.500Z', 10)).map((e) => e.deliveryId)).toEqual([
        'd1',
      ]);
      expect((await inbox.getRaw('github', 'd2'))?.taskIds).toEqual(['TMS-4']);
      // Paged on from the last one given.
      const [first] = await inbox.unprocessedRaw('2026-03-02T09:10:00.000Z', 1);
      expect(first?.deliveryId).toBe('d1');
      const next = await inbox.unprocessedRaw('2026-03-02T09:10:00.000Z', 10, rawOrder(first as RawEvent));
      expect(next.map((e) => e.deliveryId)).toEqual(['d3']);
    });

    it('lists the oldest unprocessed first across however the store spreads them, a page at a time', async () => {
      const at = (i: number) => new Date(Date.parse('2026-03-02T10:00:00.000Z') + i * 1000).toISOString();
      for (const i of [7, 3, 19, 0, 12, 5, 16, 1, 9, 14, 2, 18, 6, 11, 4, 17, 8, 13, 10, 15])
        await inbox.archiveRaw(event(`s${String(i).padStart(2, '0')}`, at(i)));
      const firstPage = await inbox.unprocessedRaw(at(100), 6, `${at(0)}#`);
      expect(firstPage.map((e) => e.deliveryId)).toEqual(['s00', 's01', 's02', 's03', 's04', 's05']);
      const secondPage = await inbox.unprocessedRaw(at(100), 6, rawOrder(firstPage.at(-1) as RawEvent));
      expect(secondPage.map((e) => e.deliveryId)).toEqual(['s06', 's07', 's08', 's09', 's10', 's11']);
    });

    it('lists nothing, and refuses nothing, when the lower bound is not below the upper one', async () => {
      await inbox.archiveRaw(event('r1', '2026-03-02T09:00:01.000Z'));
      // `npm run replay -- --since 30s` inside the grace time: a range that is empty, not an error.
      expect(await inbox.unprocessedRaw('2026-03-02T09:00:00.000Z', 10, '2026-03-02T09:00:30.000Z#')).toEqual(
        [],
      );
      expect(await inbox.unprocessedRaw('2026-03-02T09:00:30.000Z', 10, '2026-03-02T09:00:30.000Z#')).toEqual(
        [],
      );
      expect(await inbox.deadRaw(10, '2026-03-02T09:00:30.000Z#')).toEqual([]);
    });

    it('keeps any body up to the largest route limit, compressible or not, exactly as it came', async () => {
      const six = 6 * 1024 * 1024;
      const bodies = {
        small: '{"a":1}',
        json: JSON.stringify({
          alerts: Array.from({ length: 1500 }, (_, i) => ({
            labels: { alertname: `Disk${i}`, instance: `10.0.${i % 250}.${i % 7}:9100` },
            annotations: { summary: 'x'.repeat(300) },
          })),
        }),
        random: randomBytes(Math.floor((six * 3) / 4)).toString('base64'),
        utf8: 'é✓'.repeat(300_000),
      };
      for (const [name, body] of Object.entries(bodies)) {
        expect(await inbox.archiveRaw({ ...event(name, '2026-03-02T09:00:01.000Z'), body }), name).toBe(
          'archived',
        );
        expect((await inbox.getRaw('github', name))?.body === body, name).toBe(true);
      }
      expect(Buffer.byteLength(bodies.random)).toBe(six);
      // A duplicate with another body leaves the archived one whole.
      expect(
        await inbox.archiveRaw({
          ...event('random', '2026-03-02T09:00:02.000Z'),
          body: randomBytes(600_000).toString('hex'),
        }),
      ).toBe('duplicate');
      expect((await inbox.getRaw('github', 'random'))?.body === bodies.random).toBe(true);
      const claimed = await inbox.claimRaw(
        'github',
        'random',
        'lease-1',
        '2026-03-02T09:05:00.000Z',
        '2026-03-02T09:07:00.000Z',
      );
      expect(claimed?.body === bodies.random).toBe(true);
    });

    it('lets one taker at a time hold a pending delivery, counts its attempts, and moves it aside on request', async () => {
      const t = (m: number) => new Date(Date.parse('2026-03-02T09:00:00.000Z') + m * 60_000).toISOString();
      await inbox.archiveRaw({ ...event('p1', t(0)), attempts: 1, leaseUntil: t(1) });
      // Its own request holds it for a minute.
      expect(await inbox.claimRaw('github', 'p1', 'a', t(0.5), t(2.5))).toBeUndefined();
      const first = await inbox.claimRaw('github', 'p1', 'a', t(2), t(4));
      expect(first).toMatchObject({
        deliveryId: 'p1',
        attempts: 2,
        body: '{"action":"completed"}',
        leaseUntil: t(4),
      });
      expect(await inbox.claimRaw('github', 'p1', 'b', t(3), t(5))).toBeUndefined(); // held by a
      expect(await inbox.failRaw('github', 'p1', 'b', 'not mine')).toBe(false);
      expect(await inbox.failRaw('github', 'p1', 'a', 'TypeError: boom')).toBe(true);
      expect(await inbox.getRaw('github', 'p1')).toMatchObject({
        attempts: 2,
        lastError: 'TypeError: boom',
      });
      expect((await inbox.getRaw('github', 'p1'))?.leaseUntil).toBeUndefined();
      // Dropped by a failure, the lease is free again; a lease that ran out is too.
      expect(await inbox.claimRaw('github', 'p1', 'c', t(3), t(5))).toMatchObject({ attempts: 3 });
      expect(await inbox.claimRaw('github', 'p1', 'd', t(6), t(8))).toMatchObject({ attempts: 4 });
      expect(await inbox.failRaw('github', 'p1', 'c', 'too late')).toBe(false);
      // Given up on: out of the pending list, into the dead one, with its error.
      expect(await inbox.failRaw('github', 'p1', 'd', 'TypeError: boom again', t(7))).toBe(true);
      expect(await inbox.unprocessedRaw(t(100), 10)).toEqual([]);
      expect(await inbox.claimRaw('github', 'p1', 'e', t(9), t(11))).toBeUndefined();
      expect(await inbox.deadRaw(10)).toEqual([
        { source: 'github', deliveryId: 'p1', receivedAt: t(0), attempts: 4, deadAt: t(7) },
      ]);
      expect(await inbox.getRaw('github', 'p1')).toMatchObject({
        deadAt: t(7),
        lastError: 'TypeError: boom again',
      });
      // Replayed: pending again, its attempts from zero.
      expect(await inbox.reviveRaw('github', 'p1')).toBe(true);
      expect(await inbox.reviveRaw('github', 'p1')).toBe(false);
      expect(await inbox.deadRaw(10)).toEqual([]);
      expect((await inbox.unprocessedRaw(t(100), 10)).map((e) => [e.deliveryId, e.attempts])).toEqual([
        ['p1', 0],
      ]);
      expect(await inbox.claimRaw('github', 'p1', 'f', t(10), t(12))).toMatchObject({ attempts: 1 });
      await inbox.markRawProcessed('github', 'p1', t(11), ['TMS-1']);
      expect(await inbox.claimRaw('github', 'p1', 'g', t(20), t(22))).toBeUndefined();
      expect(await inbox.failRaw('github', 'p1', 'f', 'after it was processed')).toBe(false);
      expect(await inbox.getRaw('github', 'p1')).toMatchObject({ processedAt: t(11), taskIds: ['TMS-1'] });
      expect(await inbox.claimRaw('github', 'missing', 'h', t(20), t(22))).toBeUndefined();
    });

    it('adds a queued chunk once, says which chunks and what they touched so far, and keeps why one failed', async () => {
      await inbox.archiveRaw({
        ...event('q1', '2026-03-02T09:00:01.000Z'),
        leaseUntil: '2026-03-02T09:20:00.000Z',
      });
      const sorted = (p: { chunks: readonly number[]; touched: readonly string[] } | undefined) =>
        p && { chunks: [...p.chunks].sort((a, b) => a - b), touched: [...p.touched].sort() };
      // Act: three chunks, the last first, one of them twice, one that touched nothing.
      const third = await inbox.queuedChunk('github', 'q1', { chunk: 20, touched: ['listed:TMS-3'] });
      const failed = await inbox.queuedChunk('github', 'q1', { error: 'Error: throttled' });
      const first = await inbox.queuedChunk('github', 'q1', {
        chunk: 0,
        touched: ['listed:TMS-1', 'firing:TMS-1'],
      });
      const again = await inbox.queuedChunk('github', 'q1', {
        chunk: 0,
        touched: ['listed:TMS-1', 'firing:TMS-1'],
      });
      const second = await inbox.queuedChunk('github', 'q1', { chunk: 10, touched: [] });
      // Assert
      expect(sorted(third)).toEqual({ chunks: [20], touched: ['listed:TMS-3'] });
      expect(failed).toBeDefined();
      expect(sorted(first)).toEqual({
        chunks: [0, 20],
        touched: ['firing:TMS-1', 'listed:TMS-1', 'listed:TMS-3'],
      });
      expect(sorted(again)).toEqual(sorted(first));
      expect(sorted(second)).toEqual({
        chunks: [0, 10, 20],
        touched: ['firing:TMS-1', 'listed:TMS-1', 'listed:TMS-3'],
      });
      const raw = await inbox.getRaw('github', 'q1');
      expect(raw).toMatchObject({ lastError: 'Error: throttled', leaseUntil: '2026-03-02T09:20:00.000Z' });
      // Still pending for the sweeper's listing; once processed, or when never archived, nothing to add to.
      expect((await inbox.unprocessedRaw('2026-03-02T10:00:00.000Z', 10)).map((e) => e.deliveryId)).toEqual([
        'q1',
      ]);
      await inbox.markRawProcessed('github', 'q1', '2026-03-02T09:00:05.000Z', ['TMS-1', 'TMS-3']);
      expect(await inbox.queuedChunk('github', 'q1', { chunk: 10, touched: [] })).toBeUndefined();
      expect(await inbox.queuedChunk('github', 'missing', { error: 'Error: x' })).toBeUndefined();
    });
  });
}
