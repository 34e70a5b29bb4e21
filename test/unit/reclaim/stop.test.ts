import { describe, expect, it } from 'vitest';
import { stopCondition } from '../../../src/reclaim/stop';

/** A budget of 1 s on a clock the test moves, and a signal it fires. */
function setup(): { t: { now: number }; abort: AbortController; condition: ReturnType<typeof stopCondition> } {
  const t = { now: 0 };
  const abort = new AbortController();
  return { t, abort, condition: stopCondition({ now: () => t.now, deadline: 1_000 }, abort.signal) };
}

describe('stopCondition', () => {
  it('goes on within the budget; a covered PEL is "covered"', () => {
    const { t, condition } = setup();
    t.now = 999;
    expect(condition.stop()).toBe(false);
    expect(condition.reason(true)).toBe('covered');
  });

  it('stops at the budget: "budget", and a later signal does not change why it stopped', () => {
    const { t, abort, condition } = setup();
    t.now = 1_000;
    expect(condition.stop()).toBe(true);
    abort.abort();
    expect(condition.stop()).toBe(true);
    expect(condition.reason(false)).toBe('budget');
  });

  it('stops on the signal: "interrupted", also when the budget is spent at the same check', () => {
    const one = setup();
    one.abort.abort();
    expect(one.condition.stop()).toBe(true);
    expect(one.condition.reason(false)).toBe('interrupted');

    const both = setup();
    both.t.now = 5_000;
    both.abort.abort();
    expect(both.condition.stop()).toBe(true);
    expect(both.condition.reason(false)).toBe('interrupted');
  });

  it('reports "covered" when work in flight covered the PEL after the stop', () => {
    const { abort, condition } = setup();
    abort.abort();
    expect(condition.stop()).toBe(true);
    expect(condition.reason(true)).toBe('covered');
  });
});
