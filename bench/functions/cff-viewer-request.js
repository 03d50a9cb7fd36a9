// CloudFront Functions (cloudfront-js-2.0) counterpart of viewer-request.js: adds one header, returns the request.
function handler(event) {
  event.request.headers['x-bench'] = { value: 'cff' };
  return event.request;
}
