// CloudFront Functions, viewer-request: passes the viewer's address to the origin as True-Client-IP.
// Shaped like AWS's published "add-true-client-ip-header" example.
function handler(event) {
    var request = event.request;
    var clientIP = event.viewer.ip;

    // Add the true-client-ip header to the incoming request
    request.headers['true-client-ip'] = { value: clientIP };

    return request;
}
