import { describe, expect, it } from 'vitest';
import { type Action, actionFor, authorize, PERMISSIONS, roleOf } from '../../src/core/rbac.js';
import { aTask, config } from '../helpers/factories.js';

describe('roles', () => {
  it('come from user ids and user groups, admin first, else the default', () => {
    expect(roleOf('U0ADMIN', [], config.rbac)).toBe('admin');
    expect(roleOf('U0ADMIN', ['S0READONLY'], config.rbac)).toBe('admin');
    expect(roleOf('U09VIEW', ['S0READONLY'], config.rbac)).toBe('viewer');
    expect(roleOf('U0ANA', ['S0PAYMENTS'], config.rbac)).toBe('developer');
    expect(roleOf('U0ANA', [], { admins: [], viewers: [], default: 'viewer' })).toBe('viewer');
  });
});

describe('how a refusal reads', () => {
  const heldByAna = aTask({ id: 'TMS-5', assignee: 'U0ANA' });
  const free = aTask({ id: 'TMS-6', assignee: null });
  const cases = (Object.keys(PERMISSIONS) as Action[]).flatMap((action) =>
    (['admin', 'developer', 'viewer'] as const).flatMap((role) =>
      [undefined, heldByAna, free].map((task) => ({ action, role, task })),
    ),
  );

  it.each(cases)('$role, $action, on $task.id: one well-formed sentence', ({ action, role, task }) => {
    const result = authorize(role, action, 'U0BEN', task);
    if (result.ok) return;
    const message = result.error.message;
    expect(message).toMatch(/^[A-Z][\s\S]*[a-z0-9']\.$/); // a capital, one full stop at the end
    expect(message).not.toMatch(/\.\./);
    expect(message).not.toMatch(/\b(on|of|to|for|with|at|in|the)\.(\s|$)/); // nothing left dangling
    expect(message).not.toMatch(/\s{2}|\s\./);
    expect(message).not.toContain('Usage');
  });

  it('says what the action is, even for one that names its task', () => {
    const start = authorize('viewer', 'start', 'U09VIEW', free);
    expect(!start.ok && start.error.message).toBe(
      'You have read-only access to TMS, so you cannot start work on tasks. Ask an admin for the developer role.',
    );
    const snooze = authorize('developer', 'snooze', 'U0BEN', heldByAna);
    expect(!snooze.ok && snooze.error.message).toBe('Only U0ANA, who has TMS-5, or an admin can snooze it.');
  });
});

describe('what each role may do', () => {
  const held = aTask({ id: 'TMS-5', assignee: 'U0ANA' });
  const free = aTask({ id: 'TMS-6', assignee: null });

  it('lets viewers read and nothing else, and says why', () => {
    expect(authorize('viewer', 'view', 'U09VIEW').ok).toBe(true);
    for (const action of Object.keys(PERMISSIONS).filter((a) => a !== 'view') as Action[]) {
      const result = authorize('viewer', action, 'U09VIEW', free);
      expect(result.ok, action).toBe(false);
      if (!result.ok) expect(result.error.message).toMatch(/read-only access/);
    }
  });

  it('lets admins do everything', () => {
    for (const action of Object.keys(PERMISSIONS) as Action[])
      expect(authorize('admin', action, 'U0ADMIN', held).ok).toBe(true);
  });

  it("keeps a developer from taking or quietly downgrading someone else's task", () => {
    expect(
      authorize('developer', actionFor({ type: 'assign', assignee: 'U0CAT' }, held, 'U0BEN'), 'U0BEN', held),
    ).toMatchObject({
      ok: false,
      error: {
        code: 'NOT_ALLOWED',
        message: "TMS-5 is U0ANA's: only they or an admin can reassign it.",
        context: { role: 'developer', action: 'reassign', user: 'U0BEN', taskId: 'TMS-5', holder: 'U0ANA' },
      },
    });
    const lower = actionFor({ type: 'set_priority', priority: 'P4' }, held, 'U0BEN');
    expect(lower).toBe('lower_priority');
    expect(authorize('developer', lower, 'U0BEN', held).ok).toBe(false);
    expect(authorize('developer', 'snooze', 'U0BEN', held).ok).toBe(false);
  });

  it('lets a developer raise any priority, and work tasks they hold or nobody holds', () => {
    expect(actionFor({ type: 'set_priority', priority: 'P1' }, held, 'U0BEN')).toBe('raise_priority');
    expect(authorize('developer', 'raise_priority', 'U0BEN', held).ok).toBe(true);
    expect(authorize('developer', 'lower_priority', 'U0ANA', held).ok).toBe(true);
    expect(authorize('developer', 'snooze', 'U0BEN', free).ok).toBe(true);
    expect(actionFor({ type: 'assign', assignee: 'U0CAT' }, free, 'U0BEN')).toBe('assign');
    expect(actionFor({ type: 'assign', assignee: 'U0CAT' }, held, 'U0ANA')).toBe('assign');
    for (const action of ['acknowledge', 'claim', 'resolve', 'reopen', 'comment', 'create'] as Action[]) {
      expect(authorize('developer', action, 'U0BEN', held).ok, action).toBe(true);
    }
    expect(authorize('developer', 'administer', 'U0BEN').ok).toBe(false);
  });

  it('lets a developer edit what a task says only when they hold it or nobody does, and delete none', () => {
    expect(actionFor({ type: 'edit', title: 'Renamed' }, held, 'U0BEN')).toBe('edit');
    expect(authorize('developer', 'edit', 'U0BEN', free).ok).toBe(true);
    expect(authorize('developer', 'edit', 'U0ANA', held).ok).toBe(true);
    expect(authorize('developer', 'edit', 'U0BEN', held)).toMatchObject({
      ok: false,
      error: { message: 'Only U0ANA, who has TMS-5, or an admin can edit it.' },
    });
    expect(authorize('developer', 'delete', 'U0ANA', held)).toMatchObject({
      ok: false,
      error: { code: 'NOT_ALLOWED', message: 'Only admins can delete tasks.' },
    });
    expect(authorize('admin', 'delete', 'U0ADMIN', held).ok).toBe(true);
  });
});
