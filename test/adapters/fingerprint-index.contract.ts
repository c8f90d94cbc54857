import { beforeEach, describe, expect, it } from 'vitest';
import type { FingerprintIndex } from '../../src/core/ports.js';
import { T0 } from '../helpers/factories.js';

/**
 * What every FingerprintIndex promises: one claim at a time per fingerprint, bound to the task it opened and
 * released when that task is resolved. Runs over the in-memory fake and over the DynamoDB adapter.
 */
export function fingerprintIndexContract(name: string, makeIndex: () => Promise<FingerprintIndex>): void {
  describe(`${name}: the FingerprintIndex contract`, () => {
    let index: FingerprintIndex;
    beforeEach(async () => {
      index = await makeIndex();
    });

    const later = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

    it('gives a claim to one writer, binds it to a task and releases it on resolve', async () => {
      expect(await index.claimFingerprint('fp', 'a', T0, later(-10))).toEqual({
        fingerprint: 'fp',
        claim: 'a',
        claimedAt: T0,
      });
      expect(await index.claimFingerprint('fp', 'b', later(1), later(-9))).toBeUndefined();
      expect(await index.bindFingerprint('fp', 'b', 'TMS-9')).toBe(false);
      expect(await index.bindFingerprint('fp', 'a', 'TMS-1')).toBe(true);
      expect(await index.fingerprint('fp')).toEqual({ fingerprint: 'fp', openTaskId: 'TMS-1' });
      // An open task holds the fingerprint however old it is.
      expect(await index.claimFingerprint('fp', 'c', later(3600), later(3590))).toBeUndefined();

      await index.releaseFingerprint('fp', 'TMS-99', later(5)); // not its task: nothing happens
      expect((await index.fingerprint('fp'))?.openTaskId).toBe('TMS-1');
      await index.releaseFingerprint('fp', 'TMS-1', later(5));
      expect(await index.fingerprint('fp')).toEqual({
        fingerprint: 'fp',
        lastTaskId: 'TMS-1',
        lastResolvedAt: later(5),
      });
      expect(await index.claimFingerprint('fp', 'd', later(6), later(-4))).toEqual({
        fingerprint: 'fp',
        claim: 'd',
        claimedAt: later(6),
        lastTaskId: 'TMS-1',
        lastResolvedAt: later(5),
      });
    });

    it('claims and binds a new fingerprint in one write: one of many writers at once, the others told whose', async () => {
      // Act: twelve deliveries of one new alert at the same moment, each with the task number it took.
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => index.openFingerprint('fp', `TMS-${i + 1}`, later(-10))),
      );
      // Assess
      const bound = outcomes.flatMap((o, i) => (o.bound ? [`TMS-${i + 1}`] : []));
      expect(bound).toHaveLength(1);
      expect(await index.fingerprint('fp')).toEqual({ fingerprint: 'fp', openTaskId: bound[0] });
      // Each refused writer gets the record as it stands, naming the open task, without reading it.
      for (const outcome of outcomes.filter((o) => !o.bound))
        expect(outcome).toEqual({ bound: false, record: { fingerprint: 'fp', openTaskId: bound[0] } });
    });

    it('binds in one write only a fingerprint that never had a task resolved nor has a live claim', async () => {
      // A live claim (a person reopening, a writer on the claim path) holds it; a stale one does not.
      await index.claimFingerprint('fp', 'a', T0, later(-10));
      expect(await index.openFingerprint('fp', 'TMS-1', later(-9))).toEqual({
        bound: false,
        record: { fingerprint: 'fp', claim: 'a', claimedAt: T0 },
      });
      expect(await index.openFingerprint('fp', 'TMS-1', later(1))).toEqual({ bound: true });
      expect(await index.bindFingerprint('fp', 'a', 'TMS-9')).toBe(false); // the stale claimer lost it
      expect(await index.fingerprint('fp')).toEqual({ fingerprint: 'fp', openTaskId: 'TMS-1' });
      // Once a task of it was resolved, that task may be reopened: only the claim path, which reads it, binds.
      await index.releaseFingerprint('fp', 'TMS-1', later(5));
      expect(await index.openFingerprint('fp', 'TMS-2', later(-4))).toEqual({
        bound: false,
        record: { fingerprint: 'fp', lastTaskId: 'TMS-1', lastResolvedAt: later(5) },
      });
    });

    it('lets a claim whose writer died be taken over once it is stale, and drops a claim on request', async () => {
      expect(await index.claimFingerprint('fp', 'a', T0, later(-10))).toEqual({
        fingerprint: 'fp',
        claim: 'a',
        claimedAt: T0,
      });
      expect(await index.claimFingerprint('fp', 'b', later(11), later(1))).toMatchObject({ claim: 'b' });
      expect(await index.bindFingerprint('fp', 'a', 'TMS-1')).toBe(false);
      await index.dropClaim('fp', 'a'); // not the holder: nothing happens
      expect((await index.fingerprint('fp'))?.claim).toBe('b');
      await index.dropClaim('fp', 'b');
      expect(await index.fingerprint('fp')).toEqual({ fingerprint: 'fp' });
      expect(await index.fingerprint('unknown')).toBeUndefined();
    });

    it('forgets a deleted task, as the open one and as the last one, and leaves any other alone', async () => {
      expect(await index.claimFingerprint('fp-d', 'a', T0, later(-10))).toBeDefined();
      expect(await index.bindFingerprint('fp-d', 'a', 'TMS-1')).toBe(true);
      await index.releaseFingerprint('fp-d', 'TMS-1', later(5));
      expect(await index.claimFingerprint('fp-d', 'b', later(6), later(-4))).toBeDefined();
      expect(await index.bindFingerprint('fp-d', 'b', 'TMS-2')).toBe(true);
      expect(await index.fingerprint('fp-d')).toEqual({
        fingerprint: 'fp-d',
        openTaskId: 'TMS-2',
        lastTaskId: 'TMS-1',
        lastResolvedAt: later(5),
      });
      // Act
      await index.forgetTask('fp-d', 'TMS-9'); // neither: nothing happens
      await index.forgetTask('fp-d', 'TMS-2');
      // Assess
      expect(await index.fingerprint('fp-d')).toEqual({
        fingerprint: 'fp-d',
        lastTaskId: 'TMS-1',
        lastResolvedAt: later(5),
      });
      await index.forgetTask('fp-d', 'TMS-1');
      expect(await index.fingerprint('fp-d')).toEqual({ fingerprint: 'fp-d' });
      // Nothing names a task now: a new one may be opened for the alert in one write.
      expect(await index.openFingerprint('fp-d', 'TMS-3', later(-10))).toEqual({ bound: true });
      await index.forgetTask('unknown', 'TMS-1');
      expect(await index.fingerprint('unknown')).toBeUndefined();
    });
  });
}
