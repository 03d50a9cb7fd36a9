// Bench: generates a small HTML response at viewer-request, as a redirect or maintenance page does.
exports.handler = async () => ({
  status: '200',
  statusDescription: 'OK',
  headers: {
    'content-type': [{ key: 'Content-Type', value: 'text/html; charset=utf-8' }],
    'cache-control': [{ key: 'Cache-Control', value: 'max-age=60' }],
  },
  body: '<!doctype html><title>Generated</title><p>Generated at the edge.</p>',
});
