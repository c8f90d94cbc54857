import { expect, it } from 'vitest';
import { onEachBackend } from '../../helpers/dynamo.js';
import { T0 } from '../../helpers/factories.js';

// Alertmanager takes 20,000 alerts in a delivery (6 MB): 2,000 messages of ten, each telling the raw item its
// listed and firing tasks (20 entries of ~19 bytes).
onEachBackend((_name, dynamo) => {
  it('keeps track of the chunks of a delivery of 20,000 alerts, every one of them', async () => {
    const store = await dynamo().freshStore();
    await store.archiveRaw({
      source: 'alertmanager',
      deliveryId: 'huge',
      receivedAt: T0,
      headers: {},
      body: '{}',
      expiresAt: '2099-01-01T00:00:00.000Z',
      attempts: 1,
    });
    const chunks = 2_000;
    let last: Awaited<ReturnType<typeof store.queuedChunk>>;
    let failedAt: number | undefined;
    for (let chunk = 0; chunk < chunks; chunk++) {
      const touched = Array.from({ length: 10 }, (_, i) => `TMS-${100_000 + chunk * 10 + i}`).flatMap(
        (id) => [`listed:${id}`, `firing:${id}`],
      );
      try {
        last = await store.queuedChunk('alertmanager', 'huge', { chunk: chunk * 10, touched, of: chunks });
      } catch {
        failedAt = chunk;
        break;
      }
    }
    expect(failedAt).toBeUndefined();
    expect(last?.chunks).toHaveLength(chunks);
    expect(last?.touched).toHaveLength(chunks * 20);
  }, 600_000);
});
