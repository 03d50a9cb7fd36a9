// Bench: edits one header at viewer-response.
exports.handler = async (event) => {
  const response = event.Records[0].cf.response;
  response.headers['x-bench-vres'] = [{ key: 'X-Bench-Vres', value: '1' }];
  return response;
};
