// CloudFront Functions, viewer-request: lets a request through only with a valid HS256 JSON Web Token
// in the `jwt` query parameter (signature checked with crypto.createHmac, expiry with `exp`); the
// parameter is removed before the request goes on. Shaped like AWS's published "verify-jwt" example.
// Keep real secrets out of code (CloudFront's own example reads it from a key value store).
import crypto from 'crypto';

const SECRET = 'verge-example-secret';

function unauthorized(reason) {
    return {
        statusCode: 401,
        statusDescription: 'Unauthorized',
        headers: { 'www-authenticate': { value: 'Bearer error="invalid_token", error_description="' + reason + '"' } },
    };
}

function handler(event) {
    var request = event.request;
    if (!request.querystring.jwt) return unauthorized('missing token');
    var parts = request.querystring.jwt.value.split('.');
    if (parts.length !== 3) return unauthorized('malformed token');

    var expected = crypto.createHmac('sha256', SECRET).update(parts[0] + '.' + parts[1]).digest('base64url');
    if (expected !== parts[2]) return unauthorized('bad signature');

    var payload;
    try {
        payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch (e) {
        return unauthorized('malformed payload');
    }
    if (payload.exp !== undefined && Date.now() / 1000 > payload.exp) return unauthorized('expired');

    delete request.querystring.jwt;
    request.headers['x-user'] = { value: String(payload.sub) };
    return request;
}
