// Bench: edits one header at viewer-request.
exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  request.headers['x-bench-vreq'] = [{ key: 'X-Bench-Vreq', value: '1' }];
  return request;
};
