// CloudFront Functions, viewer-request: viewers from Germany (CloudFront-Viewer-Country: DE) are
// redirected to the German site. Shaped like AWS's published "redirect-based-on-country" example.
function handler(event) {
    var request = event.request;
    var headers = request.headers;
    var host = request.headers.host.value;
    var country = 'DE'; // Choose a country code
    var newurl = `https://${host}/de/index.html`; // Change the redirect URL to your choice

    if (headers['cloudfront-viewer-country']) {
        var countryCode = headers['cloudfront-viewer-country'].value;
        if (countryCode === country) {
            var response = {
                statusCode: 302,
                statusDescription: 'Found',
                headers: { location: { value: newurl } },
            };
            return response;
        }
    }
    return request;
}
