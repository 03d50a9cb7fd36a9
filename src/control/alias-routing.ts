import { ControlInvalidError } from '../errors/control-errors.ts';

/**
 * The rules an alias keeps whatever store holds it (Lambda's CreateAlias / UpdateAlias):
 * - its name is 1–128 of `A-Za-z0-9_-` and not all digits: `fn:3` must always mean version 3
 *   (Lambda's alias name pattern `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`);
 * - `additionalVersionWeights` (Lambda's RoutingConfig) names at most one version, by its number as
 *   a string, other than `functionVersion`, with a weight from 0 to 1 (Lambda's AliasRoutingConfiguration).
 * That the versions exist is the store's check: it needs the store.
 *
 * Returns the additional version's number, if any.
 */
export function validateAliasRouting(functionName: string, aliasName: string, functionVersion: number, weights: Readonly<Record<string, number>>): number | undefined {
  const alias = `alias "${aliasName}" of function "${functionName}"`;
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(aliasName) || /^[0-9]+$/.test(aliasName)) {
    throw new ControlInvalidError(`${alias}: an alias name is 1 to 128 letters, digits, "-" or "_", and not only digits (it would read as a version)`, { functionName, alias: aliasName });
  }
  if (!Number.isSafeInteger(functionVersion) || functionVersion < 1) {
    throw new ControlInvalidError(`${alias}: functionVersion must be a version number (1, 2, …), not ${String(functionVersion)}`, { functionName, alias: aliasName });
  }
  const entries = Object.entries(weights);
  if (entries.length === 0) return undefined;
  if (entries.length > 1) {
    throw new ControlInvalidError(`${alias}: additionalVersionWeights may name at most one version, not ${entries.length}`, { functionName, alias: aliasName });
  }
  const [key, weight] = entries[0]!;
  if (!/^[1-9][0-9]{0,9}$/.test(key)) {
    throw new ControlInvalidError(`${alias}: additionalVersionWeights key "${key}" is not a version number`, { functionName, alias: aliasName });
  }
  const additional = Number(key);
  if (additional === functionVersion) {
    throw new ControlInvalidError(`${alias}: the additional version ${additional} is the alias's own functionVersion`, { functionName, alias: aliasName });
  }
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 1) {
    throw new ControlInvalidError(`${alias}: the weight of version ${additional} must be a number from 0 to 1, not ${String(weight)}`, { functionName, alias: aliasName });
  }
  return additional;
}
