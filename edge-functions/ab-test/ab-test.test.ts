import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useFunctionEdge } from '../../test/helpers/function-edge.ts';
import { send } from '../../test/helpers/harness.ts';

const code = fileURLToPath(new URL('./index.js', import.meta.url));

const env = useFunctionEdge('ab-test', code, 'viewer-request');

/** Sends one request and returns every x-experiment-variant value the origin received. */
async function variantsSeen(headers: Record<string, string> | string[] = {}): Promise<string[]> {
  const res = await send(`${env.edge.url}/page`, { headers });
  expect(res.status).toBe(200);
  const raw = env.origin.seen.at(-1)!.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'x-experiment-variant') values.push(raw[i + 1]!);
  return values;
}

test('a viewer with the cookie always gets its own group', async () => {
  for (let i = 0; i < 10; i++) {
    expect(await variantsSeen({ Cookie: 'X-Experiment-Name=B' })).toEqual(['B']);
    expect(await variantsSeen({ Cookie: 'X-Experiment-Name=A' })).toEqual(['A']);
  }
});

test('the header reaches the origin as X-Experiment-Variant', async () => {
  await variantsSeen({ Cookie: 'X-Experiment-Name=A' });
  expect(env.origin.seen.at(-1)!.rawHeaders).toContain('X-Experiment-Variant');
});

test('the cookie is found among other cookies and in a second Cookie header', async () => {
  expect(await variantsSeen({ Cookie: 'session=abc; X-Experiment-Name=B; theme=dark' })).toEqual(['B']);
  expect(await variantsSeen({ Cookie: 'session=abc;X-Experiment-Name="A"' })).toEqual(['A']);
  expect(await variantsSeen(['Host', '127.0.0.1', 'Cookie', 'session=abc', 'Cookie', 'X-Experiment-Name=B'])).toEqual(['B']);
});

test('a cookie whose name only resembles the experiment cookie is ignored', async () => {
  // With 20 tries, a look-alike read as B would show up as "always B": the odds of that by chance are 2^-20.
  const groups = new Set<string>();
  for (let i = 0; i < 20; i++) for (const v of await variantsSeen({ Cookie: 'Old-X-Experiment-Name=B; x-experiment-name=B' })) groups.add(v);
  expect([...groups].sort()).toEqual(['A', 'B']);
});

test('a viewer without the cookie is assigned A or B at random, both groups occurring', async () => {
  const groups: string[] = [];
  for (let i = 0; i < 30; i++) groups.push(...(await variantsSeen()));
  expect(groups).toHaveLength(30);
  expect(new Set(groups)).toEqual(new Set(['A', 'B']));
});

test('an unknown cookie value is treated like no cookie', async () => {
  const groups = new Set<string>();
  for (let i = 0; i < 20; i++) for (const v of await variantsSeen({ Cookie: 'X-Experiment-Name=C' })) groups.add(v);
  expect(groups).toEqual(new Set(['A', 'B']));
});

test('a variant header sent by the viewer is replaced, never forwarded alongside', async () => {
  expect(await variantsSeen({ Cookie: 'X-Experiment-Name=A', 'X-Experiment-Variant': 'admin' })).toEqual(['A']);
  const groups = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const seen = await variantsSeen({ 'X-Experiment-Variant': 'B' });
    expect(seen).toHaveLength(1);
    groups.add(seen[0]!);
  }
  expect(groups).toEqual(new Set(['A', 'B']));
});
