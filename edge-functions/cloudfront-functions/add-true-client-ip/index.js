// CloudFront Functions, viewer-request: tells the origin who the viewer is, in a True-Client-IP
// header holding the address CloudFront saw (event.viewer.ip).
// Same purpose as AWS's "add-true-client-ip-header" CloudFront Functions example, in our own code.
function handler(event) {
    var request = event.request;
    request.headers['true-client-ip'] = { value: event.viewer.ip };
    return request;
}
