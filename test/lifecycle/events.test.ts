import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ECHO_EVENT_AS_BODY, ECHO_EVENT_AS_RESPONSE, echoedCf, fn, PASS_REQUEST, rawRequestHeaders, requestIdOf } from '../helpers/cf-fixtures.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// The Lambda@Edge event structure (CloudFront Developer Guide, "Lambda@Edge event structure"):
// {Records: [{cf: {config, request, response?}}]}, headers as {lowercase: [{key, value}]}.

let origin: TestOrigin;
let edge: TestEdge;
const DISTRIBUTION = { id: 'EDFDVBD6EXAMPLE', domainName: 'd111111abcdef8.cloudfront.net' };

beforeAll(async () => {
  origin = await startOrigin((req, res) => {
    const status = req.url?.includes('missing') ? 404 : 200;
    res.writeHead(status, { 'Content-Type': 'text/plain', 'X-From-Origin': 'yes' });
    res.end('origin body');
  });
  edge = await startEdge({
    distribution: DISTRIBUTION,
    origins: [{ id: 'o', url: origin.url, customHeaders: { 'X-Origin-Key': 'secret' } }],
    functions: [
      fn('echo-request', ECHO_EVENT_AS_RESPONSE),
      fn('echo-response', ECHO_EVENT_AS_BODY),
      fn('pass', PASS_REQUEST),
    ],
    behaviors: [
      { pathPattern: '/vreq/*', originId: 'o', functions: { 'viewer-request': { name: 'echo-request' } } },
      { pathPattern: '/vreq-body/*', originId: 'o', functions: { 'viewer-request': { name: 'echo-request', includeBody: true } } },
      { pathPattern: '/oreq/*', originId: 'o', functions: { 'origin-request': { name: 'echo-request' } } },
      {
        pathPattern: '/oreq-after-vreq-body/*',
        originId: 'o',
        functions: { 'viewer-request': { name: 'pass', includeBody: true }, 'origin-request': { name: 'echo-request' } },
      },
      { pathPattern: '/ores/*', originId: 'o', functions: { 'origin-response': { name: 'echo-response' } } },
      { pathPattern: '/vres/*', originId: 'o', functions: { 'viewer-response': { name: 'echo-response' } } },
      {
        pathPattern: '/vres-after-body/*',
        originId: 'o',
        functions: { 'viewer-request': { name: 'pass', includeBody: true }, 'viewer-response': { name: 'echo-response' } },
      },
    ],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

describe('config', () => {
  test('every event carries distributionDomainName, distributionId, eventType and a requestId equal to x-verge-request-id', async () => {
    const expected: [string, string][] = [
      ['/vreq/a', 'viewer-request'],
      ['/oreq/a', 'origin-request'],
      ['/ores/a', 'origin-response'],
      ['/vres/a', 'viewer-response'],
    ];
    for (const [path, eventType] of expected) {
      const res = await send(`${edge.url}${path}`);
      expect(res.status).toBe(200);
      const cf = echoedCf(res);
      expect(cf.config).toEqual({
        distributionDomainName: DISTRIBUTION.domainName,
        distributionId: DISTRIBUTION.id,
        eventType,
        requestId: requestIdOf(res),
      });
    }
  });

  test('each request gets its own request id', async () => {
    const a = await send(`${edge.url}/vreq/a`);
    const b = await send(`${edge.url}/vreq/a`);
    expect(echoedCf(a).config.requestId).not.toBe(echoedCf(b).config.requestId);
  });
});

describe('viewer-request', () => {
  test('the request has clientIp, method, uri, querystring and headers as lowercase keys of {key, value} lists', async () => {
    const res = await send(`${edge.url}/vreq/page.html?b=2&a=1`, {
      headers: rawRequestHeaders(edge.url, 'X-Trace', 'one', 'x-trace', 'two', 'Accept', 'text/html'),
    });
    const cf = echoedCf(res);
    expect(Object.keys(cf).sort()).toEqual(['config', 'request']);
    const r = cf.request;
    expect(r.clientIp).toBe('127.0.0.1');
    expect(r.method).toBe('GET');
    expect(r.uri).toBe('/vreq/page.html');
    expect(r.querystring).toBe('b=2&a=1');
    expect(r.headers['x-trace']).toEqual([
      { key: 'X-Trace', value: 'one' },
      { key: 'x-trace', value: 'two' },
    ]);
    expect(r.headers.accept).toEqual([{ key: 'Accept', value: 'text/html' }]);
    expect(r.headers.host).toEqual([{ key: 'Host', value: new URL(edge.url).host }]);
  });

  test('querystring is the empty string when the URL has none', async () => {
    const r = echoedCf(await send(`${edge.url}/vreq/plain`)).request;
    expect(r.querystring).toBe('');
  });

  test('the request has no body and no origin when includeBody is off', async () => {
    const r = echoedCf(await send(`${edge.url}/vreq/a`, { method: 'POST', body: 'payload' })).request;
    expect(r.method).toBe('POST');
    expect(r).not.toHaveProperty('body');
    expect(r).not.toHaveProperty('origin');
  });

  test('the request has a base64 body when includeBody is on', async () => {
    const r = echoedCf(await send(`${edge.url}/vreq-body/a`, { method: 'PUT', body: 'payload' })).request;
    expect(r.method).toBe('PUT');
    expect(r.body).toEqual({ inputTruncated: false, action: 'read-only', encoding: 'base64', data: Buffer.from('payload').toString('base64') });
  });
});

describe('origin-request', () => {
  test('the request carries the custom origin: domainName, port, protocol, path and customHeaders', async () => {
    const r = echoedCf(await send(`${edge.url}/oreq/a?q=1`)).request;
    expect(r.uri).toBe('/oreq/a');
    expect(r.querystring).toBe('q=1');
    expect(r.origin.custom).toMatchObject({
      domainName: '127.0.0.1',
      port: origin.port,
      protocol: 'http',
      path: '',
      customHeaders: { 'x-origin-key': [{ key: 'X-Origin-Key', value: 'secret' }] },
    });
  });

  test('the request headers are the ones CloudFront sends on: Host of the origin, X-Forwarded-For and Via added', async () => {
    const r = echoedCf(await send(`${edge.url}/oreq/a`)).request;
    expect(r.headers.host).toEqual([{ key: 'Host', value: `127.0.0.1:${origin.port}` }]);
    expect(r.headers['x-forwarded-for']).toEqual([{ key: 'X-Forwarded-For', value: '127.0.0.1' }]);
    expect(r.headers.via[0].value).toBe(`1.1 ${DISTRIBUTION.domainName} (Verge)`);
  });

  test('the request has no body when only viewer-request asked for it', async () => {
    // includeBody is per association: CloudFront exposes the body only to the functions that asked.
    const r = echoedCf(await send(`${edge.url}/oreq-after-vreq-body/a`, { method: 'POST', body: 'payload' })).request;
    expect(r).not.toHaveProperty('body');
  });
});

describe('response events', () => {
  test('an origin-response event has the response with status as a string, statusDescription and the origin headers', async () => {
    const res = await send(`${edge.url}/ores/missing`);
    expect(res.status).toBe(404);
    const cf = echoedCf(res);
    expect(cf.response.status).toBe('404');
    expect(cf.response.statusDescription).toBe('Not Found');
    expect(cf.response.headers['x-from-origin']).toEqual([{ key: 'X-From-Origin', value: 'yes' }]);
    expect(cf.response.headers['content-type']).toEqual([{ key: 'Content-Type', value: 'text/plain' }]);
    expect(cf.response).not.toHaveProperty('body');
  });

  test('an origin-response event has the request that went to the origin, with its origin', async () => {
    const cf = echoedCf(await send(`${edge.url}/ores/a?z=9`));
    expect(cf.request.uri).toBe('/ores/a');
    expect(cf.request.querystring).toBe('z=9');
    expect(cf.request.method).toBe('GET');
    expect(cf.request.origin.custom.port).toBe(origin.port);
  });

  test('a viewer-response event has the response as the viewer will get it and the viewer request', async () => {
    const cf = echoedCf(await send(`${edge.url}/vres/a`, { headers: { 'X-Viewer': 'v' } }));
    expect(cf.response.status).toBe('200');
    expect(cf.response.statusDescription).toBe('OK');
    expect(cf.response.headers['x-from-origin']).toEqual([{ key: 'X-From-Origin', value: 'yes' }]);
    expect(cf.response.headers.via[0].value).toBe(`1.1 ${DISTRIBUTION.domainName} (Verge)`);
    expect(cf.request.uri).toBe('/vres/a');
    expect(cf.request.headers['x-viewer']).toEqual([{ key: 'X-Viewer', value: 'v' }]);
    expect(cf.request.headers.host).toEqual([{ key: 'Host', value: new URL(edge.url).host }]);
    expect(cf.request).not.toHaveProperty('origin');
  });

  test('a viewer-response event has no request body even when viewer-request asked for the body', async () => {
    // includeBody exists only for request events.
    const cf = echoedCf(await send(`${edge.url}/vres-after-body/a`, { method: 'POST', body: 'payload' }));
    expect(cf.request).not.toHaveProperty('body');
  });
});
