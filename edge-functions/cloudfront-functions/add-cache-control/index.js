// CloudFront Functions, viewer-response: tells browsers to cache the response for two years.
// Shaped like AWS's published "add-cache-control-header" example.
function handler(event) {
    var response = event.response;
    var headers = response.headers;

    // Set the cache-control header
    headers['cache-control'] = { value: 'public, max-age=63072000;' };

    // Return response to viewers
    return response;
}
