/**
 * How a distribution names a function: Lambda's qualified names. `fn:3` (a published version),
 * `fn:live` (an alias), `fn:$LATEST` (the mutable draft, development mode only), each also as an
 * ARN, `verge:function:fn:3`. An unqualified `fn` is refused: Lambda@Edge associates only numbered
 * versions (CloudFront Developer Guide, "Lambda@Edge function associations": "You must specify a
 * numbered version, not $LATEST or an alias"); Verge adds aliases, which it resolves to versions.
 */
export type Qualifier = { readonly kind: 'version'; readonly version: number } | { readonly kind: 'alias'; readonly alias: string } | { readonly kind: 'latest' };

export interface QualifiedName {
  readonly functionName: string;
  readonly qualifier: Qualifier;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Lambda's alias name rule: `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`, 1-128 characters. */
export const ALIAS_NAME = /^(?![0-9]+$)[A-Za-z0-9_-]{1,128}$/;

/** The parsed name, or a sentence saying why it is not one. */
export function parseQualifiedName(text: string): QualifiedName | string {
  const bare = text.startsWith('verge:function:') ? text.slice('verge:function:'.length) : text;
  const colon = bare.indexOf(':');
  if (colon === -1) {
    return NAME.test(bare) ? `must name a version or an alias: ${bare}:1 or ${bare}:ALIAS (an unqualified function is its mutable $LATEST)` : 'must be NAME:VERSION or NAME:ALIAS';
  }
  const functionName = bare.slice(0, colon);
  const q = bare.slice(colon + 1);
  if (!NAME.test(functionName)) return `function name ${JSON.stringify(functionName)} must be 1-64 characters from A-Z a-z 0-9 _ -`;
  if (q === '$LATEST') return { functionName, qualifier: { kind: 'latest' } };
  if (/^[1-9][0-9]{0,9}$/.test(q)) return { functionName, qualifier: { kind: 'version', version: Number(q) } };
  if (ALIAS_NAME.test(q)) return { functionName, qualifier: { kind: 'alias', alias: q } };
  return `qualifier ${JSON.stringify(q)} must be a version number (1, 2, …), an alias name or $LATEST`;
}
