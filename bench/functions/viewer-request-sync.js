// The smallest realistic synchronous handler: adds one header and returns the request.
'use strict';

exports.handler = (event, _context, callback) => {
  const request = event.Records[0].cf.request;
  request.headers['x-bench'] = [{ key: 'X-Bench', value: '1' }];
  callback(null, request);
};
