// redirect — for the viewer-request event.
//
// Answers paths listed in the tables below with a redirect generated at the edge, so the origin never
// sees them: PERMANENT paths get 301 (browsers and search engines remember it), TEMPORARY paths 302.
// The viewer's query string is kept. Every other request passes through unchanged.
//
// Attach it in YAML (viewer events allow at most 128 MB and 5000 ms):
//   functions:
//     - { name: redirect, code: ./edge-functions/redirect/index.js }
//   behaviors:
//     - pathPattern: /old-page
//       originId: site
//       functions:
//         viewer-request: { name: redirect }
'use strict';

/** Old path → new location (a path or an absolute URL). Answered with 301 Moved Permanently. */
const PERMANENT = {
  '/old-page': '/',
  '/old-about': '/about/',
};

/** Path → location for redirects that will change again (a campaign, maintenance). 302 Found. */
const TEMPORARY = {
  '/sale': '/app/offers',
};

const own = Object.prototype.hasOwnProperty;

/** The table entry for `uri`, ignoring one trailing slash (`/old-page/` is `/old-page`). */
function lookup(table, uri) {
  if (own.call(table, uri)) return table[uri];
  if (uri.length > 1 && uri.endsWith('/') && own.call(table, uri.slice(0, -1))) return table[uri.slice(0, -1)];
  return undefined;
}

function redirect(status, statusDescription, target, querystring) {
  // The viewer's query string goes along (campaign tags, search terms); a target may have its own.
  let location = target;
  if (querystring !== '') location += (target.includes('?') ? '&' : '?') + querystring;
  return {
    status,
    statusDescription,
    headers: { location: [{ key: 'Location', value: location }] },
  };
}

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const permanent = lookup(PERMANENT, request.uri);
  if (permanent !== undefined) return redirect('301', 'Moved Permanently', permanent, request.querystring);
  const temporary = lookup(TEMPORARY, request.uri);
  if (temporary !== undefined) return redirect('302', 'Found', temporary, request.querystring);
  return request;
};
