// CloudFront Functions, viewer-request: sends /api/ requests to the origin with id "api", and
// requests carrying `x-canary: 1` to the current origin under the base path /canary, using the
// origin modification helpers of the `cloudfront` module.
import cf from 'cloudfront';

function handler(event) {
    const request = event.request;
    if (request.uri.startsWith('/api/')) {
        cf.selectRequestOriginById('api');
    } else if (request.headers['x-canary'] && request.headers['x-canary'].value === '1') {
        cf.updateRequestOrigin({
            originPath: '/canary',
            customHeaders: { 'x-origin-variant': 'canary' },
            timeouts: { readTimeout: 10 },
        });
    }
    return request;
}
