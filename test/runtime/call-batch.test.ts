import { expect, test } from 'vitest';
import { CallBatch } from '../../src/runtime/call-batch.ts';

// CallBatch (runtime/call-batch.ts) collects the calls of one event-loop turn per key and runs each
// key's calls with one call of runGroup; the calls a flush's continuations ask for are flushed in the
// same check phase, so a request's next hook does not wait a turn.

function recorder() {
  const groups: string[][] = [];
  const batch = new CallBatch<string, string>((items) => {
    groups.push([...items]);
    return items.map((item) => (item.startsWith('fail') ? Promise.reject(new Error(item)) : `done ${item}`));
  });
  return { groups, batch };
}

test('calls of one turn run as one group per key, each settling with its own outcome', async () => {
  const { groups, batch } = recorder();
  const outcomes = await Promise.allSettled([batch.run('x', 'a'), batch.run('y', 'b'), batch.run('x', 'fail-c'), batch.run('x', 'd')]);
  expect(groups).toEqual([['a', 'fail-c', 'd'], ['b']]);
  expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual(['done a', 'done b', 'fail-c', 'done d']);
});

test("the calls a flush's continuations ask for run in the same check phase, in one group, before the next turn", async () => {
  const { groups, batch } = recorder();
  // Two "requests", each with three hooks in a row, the later ones asked for from continuations
  // several microtasks deep (as the lifecycle's awaits make them).
  const request = async (id: string) => {
    await batch.run('viewer-request', `${id}1`);
    await Promise.resolve();
    await batch.run('origin-request', `${id}2`);
    await null;
    await null;
    return batch.run('origin-response', `${id}3`);
  };
  const done = Promise.all([request('a'), request('b')]);
  // Queued after the batch's own setImmediate: it runs after that flush and everything chained to it
  // when they share the check phase, and between them if the chained calls waited for a turn.
  let groupsBeforeNextImmediate = -1;
  setImmediate(() => (groupsBeforeNextImmediate = groups.length));
  expect(await done).toEqual(['done a3', 'done b3']);
  await new Promise((resolve) => setImmediate(resolve));
  expect(groups).toEqual([['a1', 'b1'], ['a2', 'b2'], ['a3', 'b3']]);
  expect(groupsBeforeNextImmediate).toBe(3);
});

test('a call asked for outside a flush (an I/O callback, a timer) waits for the check phase as before', async () => {
  const { groups, batch } = recorder();
  const first = batch.run('k', 'early');
  await first;
  const later = await new Promise<string>((resolve) => setTimeout(() => void batch.run('k', 'from-timer').then(resolve), 1));
  expect(later).toBe('done from-timer');
  expect(groups).toEqual([['early'], ['from-timer']]);
});

test('runGroup throwing rejects that group only', async () => {
  const batch = new CallBatch<string, string>((items) => {
    if (items[0] === 'boom') throw new Error('runGroup failed');
    return items.map((item) => item);
  });
  const outcomes = await Promise.allSettled([batch.run('bad', 'boom'), batch.run('good', 'fine')]);
  expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: { message: 'runGroup failed' } });
  expect(outcomes[1]).toEqual({ status: 'fulfilled', value: 'fine' });
});
