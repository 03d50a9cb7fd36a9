// CloudFront Functions, viewer-request: lower-cases query parameter names and sorts them, so
// `?B=2&a=1` and `?a=1&b=2` reach the origin (and the cache) as the same query string.
function handler(event) {
    var request = event.request;
    var query = request.querystring;
    var names = Object.keys(query).sort(function (a, b) {
        return a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;
    });
    var normalized = {};
    for (var i = 0; i < names.length; i++) {
        normalized[names[i].toLowerCase()] = query[names[i]];
    }
    request.querystring = normalized;
    return request;
}
