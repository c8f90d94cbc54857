import { describe, expect, it } from 'vitest';
import { applyAction } from '../../src/core/lifecycle.js';
import { deleteTask } from '../../src/core/use-cases/delete-task.js';
import { patchTask } from '../../src/core/use-cases/patch-task.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { aTask, depsFor, slack, user } from '../helpers/factories.js';

const api = (id: string) => ({ actor: user(id), via: 'api' as const });

async function withTask(fields: Parameters<typeof aTask>[0] = {}) {
  const store = new MemoryTaskStore();
  const task = aTask({ id: 'TMS-1', priority: 'P3', title: 'Disk full', ...fields });
  await store.create(task, []);
  return { store, deps: depsFor(store), task };
}

describe('patching a task', () => {
  it('saves every field as one version, in one write', async () => {
    const { store, deps } = await withTask();
    let saves = 0;
    store.beforeWrite = (operation) => {
      if (operation === 'save') saves++;
    };
    const patched = await patchTask(deps, {
      taskId: '1',
      patch: { title: 'Disk full on db-1', priority: 'P1', assignee: 'U0CAT', labels: { env: 'prod' } },
      role: 'developer',
      ctx: api('U0BEN'),
    });
    if (!patched.ok) throw patched.error;
    expect(saves).toBe(1);
    expect(patched.value.task).toMatchObject({ version: 2, priority: 'P1', assignee: 'U0CAT' });
    expect(patched.value.entries.map((e) => [e.type, e.version, e.seq])).toEqual([
      ['edited', 2, 0],
      ['priority_changed', 2, 1],
      ['assigned', 2, 2],
    ]);
    expect(await store.get('TMS-1')).toEqual(patched.value.task);
  });

  it('applies to the task as it is when someone else’s change came first, without If-Match', async () => {
    const { store, deps, task } = await withTask();
    let raced = false;
    store.beforeWrite = (operation) => {
      if (operation !== 'save' || raced) return;
      raced = true;
      // Someone claims the task between the patch's read and its write.
      const claimed = applyAction(task, { type: 'claim' }, slack('U0ANA'));
      if (!claimed.ok) throw claimed.error;
      store.tasks.set('TMS-1', claimed.value.task);
    };
    const patched = await patchTask(deps, {
      taskId: 'TMS-1',
      patch: { priority: 'P2' },
      role: 'admin',
      ctx: api('U0BEN'),
    });
    if (!patched.ok) throw patched.error;
    expect(patched.value.task).toMatchObject({ version: 3, priority: 'P2', assignee: 'U0ANA' });
  });

  it('refuses with VERSION_CONFLICT, naming the version now, when If-Match names another', async () => {
    const { deps } = await withTask({ version: 4 });
    const refused = await patchTask(deps, {
      taskId: 'TMS-1',
      patch: { priority: 'P2' },
      ifVersion: 3,
      role: 'admin',
      ctx: api('U0BEN'),
    });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'VERSION_CONFLICT', context: { taskId: 'TMS-1', version: 4 } },
    });
  });

  it('refuses the whole patch when one of its actions is refused, and saves nothing', async () => {
    const { store, deps } = await withTask({ assignee: 'U0ANA' });
    const refused = await patchTask(deps, {
      taskId: 'TMS-1',
      patch: { priority: 'P1', assignee: 'U0BEN' },
      role: 'developer',
      ctx: api('U0BEN'),
    });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'NOT_ALLOWED', context: { action: 'reassign' } },
    });
    expect((await store.get('TMS-1'))?.version).toBe(1);
  });

  it('changes nothing, and writes nothing, when every field already has its value', async () => {
    const { store, deps, task } = await withTask({ labels: { env: 'prod' } });
    store.beforeWrite = (operation) => {
      throw new Error(`wrote: ${operation}`);
    };
    const patched = await patchTask(deps, {
      taskId: 'TMS-1',
      patch: { title: ' Disk full ', priority: 'P3', assignee: null, labels: { env: 'prod' } },
      role: 'developer',
      ctx: api('U0BEN'),
    });
    expect(patched).toEqual({ ok: true, value: { task, entries: [] } });
  });
});

describe('deleting a task', () => {
  it('is an admin’s: a developer is refused before anything is read', async () => {
    const { store, deps } = await withTask();
    const refused = await deleteTask(deps, { taskId: 'TMS-1', role: 'developer', ctx: api('U0BEN') });
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_ALLOWED' } });
    expect(await store.get('TMS-1')).toBeDefined();
  });

  it('removes the task, its timeline and its fingerprint’s hold, and records who deleted it', async () => {
    const { store, deps } = await withTask({ fingerprint: 'fp-1' });
    store.fingerprints.set('fp-1', { fingerprint: 'fp-1', openTaskId: 'TMS-1', lastTaskId: 'TMS-0' });
    store.entries.set('TMS-1', []);
    const deleted = await deleteTask(deps, { taskId: '1', role: 'admin', ctx: api('U0ANA') });
    expect(deleted).toMatchObject({ ok: true, value: { id: 'TMS-1' } });
    expect(await store.get('TMS-1')).toBeUndefined();
    expect(store.entries.has('TMS-1')).toBe(false);
    // Another task it was not keeps its place as the one to reopen.
    expect(store.fingerprints.get('fp-1')).toEqual({ fingerprint: 'fp-1', lastTaskId: 'TMS-0' });
    expect(store.deletions.get('TMS-1')).toEqual({ by: 'U0ANA', at: deps.clock.now().toISOString() });
    expect(await deleteTask(deps, { taskId: '1', role: 'admin', ctx: api('U0ANA') })).toMatchObject({
      ok: false,
      error: { code: 'TASK_NOT_FOUND' },
    });
  });

  it('finishes what a deleter killed halfway left: the retry removes the rest before answering 404', async () => {
    const { store, deps } = await withTask({ fingerprint: 'fp-2' });
    store.fingerprints.set('fp-2', { fingerprint: 'fp-2', openTaskId: 'TMS-1' });
    store.beforeWrite = (operation) => {
      if (operation === 'dropHistory') throw new Error('killed');
    };
    await expect(deleteTask(deps, { taskId: '1', role: 'admin', ctx: api('U0ANA') })).rejects.toThrow(
      'killed',
    );
    expect(store.entries.has('TMS-1')).toBe(true);
    store.beforeWrite = () => {};
    expect(await deleteTask(deps, { taskId: '1', role: 'admin', ctx: api('U0ANA') })).toMatchObject({
      ok: false,
      error: { code: 'TASK_NOT_FOUND' },
    });
    expect(store.entries.has('TMS-1')).toBe(false);
    expect(store.fingerprints.get('fp-2')?.openTaskId).toBeUndefined();
  });

  it('deletes the task as it is when it changed between the read and the delete', async () => {
    const { store, deps, task } = await withTask();
    let raced = false;
    store.beforeWrite = (operation) => {
      if (operation !== 'deleteTask' || raced) return;
      raced = true;
      store.tasks.set('TMS-1', { ...task, version: 2 });
    };
    const deleted = await deleteTask(deps, { taskId: '1', role: 'admin', ctx: api('U0ANA') });
    expect(deleted).toMatchObject({ ok: true, value: { version: 2 } });
    expect(await store.get('TMS-1')).toBeUndefined();
  });
});
