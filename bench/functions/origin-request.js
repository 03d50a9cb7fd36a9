// Bench: edits one header at origin-request.
exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  request.headers['x-bench-oreq'] = [{ key: 'X-Bench-Oreq', value: '1' }];
  return request;
};
