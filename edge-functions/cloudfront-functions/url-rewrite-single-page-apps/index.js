// CloudFront Functions, viewer-request: asks the origin for an index.html instead of a directory
// (`/docs/` → `/docs/index.html`) or an extension-less route (`/docs` → `/docs/index.html`); URIs with
// a file extension are left alone. Same purpose as AWS's URL-rewrite CloudFront Functions examples,
// in our own code.
function handler(event) {
    var request = event.request;
    var uri = request.uri;
    var lastSegment = uri.slice(uri.lastIndexOf('/') + 1);

    if (lastSegment === '') {
        request.uri = uri + 'index.html';
    } else if (uri.indexOf('.') === -1) {
        request.uri = uri + '/index.html';
    }
    return request;
}
