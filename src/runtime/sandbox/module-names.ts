/**
 * The built-in modules each runtime offers user code, by `require(name)` and `import … from name`
 * (a `node:` prefix is accepted for the Lambda@Edge runtime, as Node does). Anything else fails when
 * the function loads, naming the module (issue 3, section 1), never at the first request.
 */

/** Node modules Lambda@Edge code commonly uses (Lambda@Edge runs Node.js). */
export const LAMBDA_EDGE_MODULES = ['querystring', 'url', 'buffer', 'crypto', 'zlib', 'path', 'util', 'events'] as const;

/** CloudFront Functions' modules (JavaScript runtime 2.0: "Runtime features", "Modules"). */
export const CLOUDFRONT_FUNCTIONS_MODULES = ['crypto', 'querystring', 'buffer', 'cloudfront'] as const;

export type LambdaEdgeModule = (typeof LAMBDA_EDGE_MODULES)[number];
export type CloudFrontFunctionsModule = (typeof CLOUDFRONT_FUNCTIONS_MODULES)[number];

/** The module a specifier names in the Lambda@Edge runtime, or undefined when it offers none. */
export function lambdaEdgeModule(specifier: string): LambdaEdgeModule | undefined {
  const name = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  return (LAMBDA_EDGE_MODULES as readonly string[]).includes(name) ? (name as LambdaEdgeModule) : undefined;
}
