import { describe, expect, it } from 'vitest';
import { applyAction } from '../../src/core/lifecycle.js';
import { actOnTask } from '../../src/core/use-cases/act-on-task.js';
import { deleteTask } from '../../src/core/use-cases/delete-task.js';
import { ingestAlert } from '../../src/core/use-cases/ingest-alert.js';
import { patchTask } from '../../src/core/use-cases/patch-task.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { anAlert, aTask, depsFor, slack, user } from '../helpers/factories.js';

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
    expect(store.deletions.get('TMS-1')).toEqual({
      by: 'U0ANA',
      at: deps.clock.now().toISOString(),
      fingerprint: 'fp-1',
    });
    expect(await deleteTask(deps, { taskId: '1', role: 'admin', ctx: api('U0ANA') })).toMatchObject({
      ok: false,
      error: { code: 'TASK_NOT_FOUND' },
    });
  });

  it('finishes what a deleter killed halfway left: the retry lets go of the alert and removes the rest before answering 404', async () => {
    const { store, deps } = await withTask({ fingerprint: 'fp-2' });
    store.fingerprints.set('fp-2', { fingerprint: 'fp-2', openTaskId: 'TMS-1' });
    store.beforeWrite = (operation) => {
      if (operation === 'forgetTask') throw new Error('killed'); // the step right after the task went
    };
    await expect(deleteTask(deps, { taskId: '1', role: 'admin', ctx: api('U0ANA') })).rejects.toThrow(
      'killed',
    );
    expect(store.entries.has('TMS-1')).toBe(true);
    expect(await store.get('TMS-1')).toBeUndefined();
    expect(store.fingerprints.get('fp-2')?.openTaskId).toBe('TMS-1');
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

  it('never brings a deleted task back: an alert bound to it as the delete went through opens a new task', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    const opened = await ingestAlert(deps, anAlert());
    if (opened.result !== 'created') throw new Error(`not opened: ${opened.result}`);
    const id = opened.taskId;
    const resolved = await actOnTask(deps, {
      taskId: id,
      command: { type: 'resolve', resolution: null },
      role: 'admin',
      ctx: api('U0ANA'),
    });
    expect(resolved.ok).toBe(true);
    deps.clock.advance(60_000);
    // Slack's Reopen claims the alert, saves the task, then binds the alert to it: the DELETE lands in between.
    const bind = store.bindFingerprint.bind(store);
    store.bindFingerprint = async (fingerprint, token, taskId) => {
      expect(await deleteTask(deps, { taskId, role: 'admin', ctx: api('U0ANA') })).toMatchObject({
        ok: true,
      });
      return bind(fingerprint, token, taskId);
    };
    await actOnTask(deps, { taskId: id, command: { type: 'reopen' }, role: 'admin', ctx: api('U0BEN') });
    store.bindFingerprint = bind;
    expect((await store.fingerprint(anAlert().fingerprint))?.openTaskId).toBe(id); // bound to a deleted task

    deps.clock.advance(60_000);
    const again = await ingestAlert(deps, anAlert({ occurredAt: deps.clock.now().toISOString() }));
    expect(again.result).toBe('created');
    expect((again as { taskId: string }).taskId).not.toBe(id);
    expect(await store.get(id)).toBeUndefined();
    expect((await store.fingerprint(anAlert().fingerprint))?.openTaskId).toBe(
      (again as { taskId: string }).taskId,
    );
  });

  it('leaves the task its alert’s when the delete never gets through (its alert storming), so the alert still resolves it', async () => {
    const store = new MemoryTaskStore();
    const deps = depsFor(store);
    const opened = await ingestAlert(deps, anAlert());
    if (opened.result !== 'created') throw new Error(`not opened: ${opened.result}`);
    store.beforeWrite = (operation) => {
      if (operation !== 'deleteTask') return;
      const task = store.tasks.get(opened.taskId);
      if (task) store.tasks.set(task.id, { ...task, version: task.version + 1 }); // another occurrence first
    };
    await expect(
      deleteTask(deps, { taskId: opened.taskId, role: 'admin', ctx: api('U0ANA') }),
    ).rejects.toThrow('changing too fast to delete');
    store.beforeWrite = () => {};
    const recovered = await ingestAlert(
      deps,
      anAlert({ action: 'resolve', occurredAt: deps.clock.now().toISOString() }),
    );
    expect(recovered).toMatchObject({ result: 'resolved', taskId: opened.taskId });
  });
});
