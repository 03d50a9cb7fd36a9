import { expect, test } from 'vitest';
import { eventually, send, startEdge, startOrigin } from './helpers/harness.ts';

test('closing the node does not wait for an origin that never answers', async () => {
  // The origin accepts the request and never responds; the read timeout is far away.
  const origin = await startOrigin(() => undefined);
  const edge = await startEdge({
    origins: [{ id: 'o', url: origin.url, readTimeoutMs: 60_000 }],
    behaviors: [{ pathPattern: '*', originId: 'o' }],
  });
  const pending = send(`${edge.url}/slow`).then(
    (res) => res.status,
    () => 'connection closed',
  );
  await eventually(() => origin.seen.length === 1);
  const started = Date.now();
  await edge.close(200);
  expect(Date.now() - started).toBeLessThan(1_500);
  // The viewer is not left hanging either: its connection was closed at the end of the drain.
  expect(await pending).toBe('connection closed');
  await origin.close();
});
