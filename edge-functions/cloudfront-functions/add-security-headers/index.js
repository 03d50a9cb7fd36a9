// CloudFront Functions, viewer-response: adds the usual security headers (HSTS, a strict CSP,
// nosniff, frame denial, the legacy XSS filter and a same-origin referrer policy) to every response.
// An `async` handler, which runtime cloudfront-js-2.0 allows. Same purpose as AWS's
// "add-security-headers" CloudFront Functions example, in our own code.
var SECURITY_HEADERS = {
    'strict-transport-security': 'max-age=63072000; includeSubdomains; preload',
    'content-security-policy': "default-src 'none'; img-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'x-xss-protection': '1; mode=block',
    'referrer-policy': 'same-origin',
};

async function handler(event) {
    var response = event.response;
    Object.keys(SECURITY_HEADERS).forEach(function (name) {
        response.headers[name] = { value: SECURITY_HEADERS[name] };
    });
    return response;
}
