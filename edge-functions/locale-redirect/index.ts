// locale-redirect — for the viewer-request event. A multi-file TypeScript function: Verge bundles
// this directory (index.ts and lib/) into one script when the config loads.
//
// Sends a viewer who asks for a page without a locale prefix to the same page under the best locale
// for their Accept-Language header (`/pricing` → `/de/pricing`), with a 302 that keeps the query
// string and `Vary: Accept-Language`. Paths that already start with a supported locale, and file
// requests (a last segment with an extension, like /logo.png), pass through to the origin.
//
// Attach it in YAML (the directory is the package; handler defaults to index.handler):
//   functions:
//     - { name: locale-redirect, code: ./edge-functions/locale-redirect }
//   behaviors:
//     - pathPattern: "*"
//       originId: site
//       functions:
//         viewer-request: { name: locale-redirect }
import { bestLocale } from './lib/accept-language.ts';
import { DEFAULT_LOCALE, SUPPORTED_LOCALES, type Locale } from './lib/locales.ts';
import type { CloudFrontRequestEvent, CloudFrontRequest, CloudFrontResultResponse } from './lib/cloudfront.ts';

export const handler = async (event: CloudFrontRequestEvent): Promise<CloudFrontRequest | CloudFrontResultResponse> => {
  const request = event.Records[0]!.cf.request;
  if (hasLocalePrefix(request.uri) || isFileRequest(request.uri)) return request;
  const header = request.headers['accept-language']?.map((h) => h.value).join(', ') ?? '';
  const locale: Locale = bestLocale(header, SUPPORTED_LOCALES) ?? DEFAULT_LOCALE;
  const location = `/${locale}${request.uri === '/' ? '/' : request.uri}${request.querystring ? `?${request.querystring}` : ''}`;
  return {
    status: '302',
    statusDescription: 'Found',
    headers: {
      location: [{ key: 'Location', value: location }],
      vary: [{ key: 'Vary', value: 'Accept-Language' }],
      'cache-control': [{ key: 'Cache-Control', value: 'private, max-age=0' }],
    },
  };
};

function hasLocalePrefix(uri: string): boolean {
  const first = uri.split('/')[1] ?? '';
  return (SUPPORTED_LOCALES as readonly string[]).includes(first);
}

function isFileRequest(uri: string): boolean {
  const last = uri.slice(uri.lastIndexOf('/') + 1);
  return last.includes('.');
}
