import { describe, expect, it } from 'vitest';
import { decide, globMatch, prioritize, route } from '../../src/core/alert.js';
import { anAlert, aTask, config, T0 } from '../helpers/factories.js';

const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000);

describe('routing an alert', () => {
  it('goes to the service the sender named, else to the first service whose match rules fit, else the default', () => {
    expect(route(anAlert({ service: 'checkout' }), config)).toEqual({
      service: 'checkout',
      team: 'payments',
      channel: 'C0PAYMENTS',
    });
    expect(
      route(anAlert({ service: undefined, routing: { repository: 'Acme/Checkout' } }), config).service,
    ).toBe('checkout');
    expect(
      route(anAlert({ service: undefined, routing: { alarm: 'checkout-5xx-rate' } }), config).service,
    ).toBe('checkout');
    expect(route(anAlert({ service: undefined, routing: { alarm: 'search-5xx' } }), config)).toEqual({
      service: 'general',
      team: null,
      channel: 'C0GENERAL',
    });
    // A service named by the sender but unknown to the config keeps its name and goes to the default channel.
    expect(route(anAlert({ service: 'ledger' }), config)).toEqual({
      service: 'ledger',
      team: null,
      channel: 'C0GENERAL',
    });
    // A label is not a name: sources that carry a `service` label put it in `service` themselves.
    expect(route(anAlert({ service: undefined, labels: { service: 'checkout' } }), config).service).toBe(
      'general',
    );
  });

  it('matches patterns with * only, everything else literally', () => {
    expect(globMatch('/aws/lambda/checkout-*', '/aws/lambda/checkout-api')).toBe(true);
    expect(globMatch('checkout.prod', 'checkoutXprod')).toBe(false);
    expect(globMatch('*', 'anything')).toBe(true);
  });

  it("maps the source's severity through the config, an explicit priority first", () => {
    expect(prioritize(anAlert({ severity: 'critical' }), config)).toBe('P1');
    expect(prioritize(anAlert({ severity: 'WARNING' }), config)).toBe('P3');
    expect(prioritize(anAlert({ severity: 'mystery' }), config)).toBe('P3');
    expect(prioritize(anAlert({ severity: 'critical', priority: 'P4' }), config)).toBe('P4');
  });
});

describe('dedup decisions (PagerDuty dedup_key semantics)', () => {
  const open = aTask({ status: 'open' });
  const resolved = aTask({ status: 'resolved', resolvedAt: at(0).toISOString() });

  it('a trigger appends to the open task, else reopens a task resolved within reopenWithin, else creates', () => {
    expect(decide(anAlert(), open, undefined, at(1), config)).toEqual({ type: 'append', task: open });
    expect(decide(anAlert(), undefined, resolved, at(10), config)).toEqual({
      type: 'reopen',
      task: resolved,
    });
    expect(decide(anAlert(), undefined, resolved, at(10.01), config)).toEqual({ type: 'create' });
    expect(decide(anAlert(), undefined, undefined, at(1), config)).toEqual({ type: 'create' });
  });

  it('acknowledge and resolve act on an open task only and never create one', () => {
    for (const action of ['acknowledge', 'resolve'] as const) {
      expect(decide(anAlert({ action }), undefined, undefined, at(1), config).type).toBe('ignore');
      expect(decide(anAlert({ action }), undefined, resolved, at(1), config).type).toBe('ignore');
      expect(decide(anAlert({ action }), open, undefined, at(1), config).type).toBe(action);
    }
    expect(
      decide(
        anAlert({ action: 'acknowledge' }),
        { ...open, status: 'acknowledged' },
        undefined,
        at(1),
        config,
      ),
    ).toEqual({
      type: 'ignore',
      reason: `${open.id} is already acknowledged`,
    });
  });
});
