// CloudFront Functions, viewer-response: lets browsers keep every response for two years
// (Cache-Control: public, max-age=63072000), replacing whatever the origin sent.
// Same purpose as AWS's "add-cache-control-header" CloudFront Functions example, in our own code.
var TWO_YEARS_IN_SECONDS = 2 * 365 * 24 * 60 * 60;

function handler(event) {
    var response = event.response;
    response.headers['cache-control'] = { value: 'public, max-age=' + TWO_YEARS_IN_SECONDS + ';' };
    return response;
}
