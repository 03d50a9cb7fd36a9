// CloudFront Functions, viewer-request: redirects the paths listed in the function's key value store
// (key: the old path, value: where it moved) with a 301; other paths go on to the origin.
// Shaped like AWS's published key value store examples (`import cf from 'cloudfront'`, `cf.kvs()`).
import cf from 'cloudfront';

const kvsHandle = cf.kvs();

async function handler(event) {
    const request = event.request;
    let target;
    try {
        target = await kvsHandle.get(request.uri);
    } catch (err) {
        // get() rejects when the key is missing: not a redirected path.
        return request;
    }
    return {
        statusCode: 301,
        statusDescription: 'Moved Permanently',
        headers: { location: { value: target } },
    };
}
