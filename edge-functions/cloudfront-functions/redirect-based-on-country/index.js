// CloudFront Functions, viewer-request: viewers in Germany (CloudFront-Viewer-Country: DE) get a 302
// to the German home page on the same host; everyone else goes on to the origin.
// Same purpose as AWS's "redirect-based-on-country" CloudFront Functions example, in our own code.
var REDIRECT_COUNTRY = 'DE';
var GERMAN_PAGE = '/de/index.html';

function handler(event) {
    var request = event.request;
    var country = request.headers['cloudfront-viewer-country'];
    if (!country || country.value !== REDIRECT_COUNTRY) return request;

    return {
        statusCode: 302,
        statusDescription: 'Found',
        headers: { location: { value: 'https://' + request.headers.host.value + GERMAN_PAGE } },
    };
}
