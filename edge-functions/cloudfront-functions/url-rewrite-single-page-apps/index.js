// CloudFront Functions, viewer-request: serves index.html for directory and extension-less paths.
// Shaped like AWS's published "url-rewrite-single-page-apps" example.
function handler(event) {
    var request = event.request;
    var uri = request.uri;

    // Check whether the URI is missing a file name.
    if (uri.endsWith('/')) {
        request.uri += 'index.html';
    }
    // Check whether the URI is missing a file extension.
    else if (!uri.includes('.')) {
        request.uri += '/index.html';
    }

    return request;
}
