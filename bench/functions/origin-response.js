// Bench: edits one header at origin-response.
exports.handler = async (event) => {
  const response = event.Records[0].cf.response;
  response.headers['x-bench-ores'] = [{ key: 'X-Bench-Ores', value: '1' }];
  return response;
};
