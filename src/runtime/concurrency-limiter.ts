import { LambdaLimitExceededError } from '../errors/function-errors.ts';
import type { FunctionVersion } from './function-version.ts';

/**
 * Lambda's reserved concurrency, per function and per process: the invocations of one function (all
 * its versions) in flight at once. Past the reservation a call is throttled at once, never queued
 * (Lambda answers a synchronous invocation over its concurrency with a throttling error, and
 * CloudFront shows it as 503 LambdaLimitExceeded). Functions without a reservation are not counted,
 * so the common path pays nothing.
 */
export class ConcurrencyLimiter {
  private readonly inFlight = new Map<string, number>();

  /** Counts one invocation in; throws LambdaLimitExceededError when the function's reservation is used up. */
  acquire(version: FunctionVersion): void {
    const reserved = version.reservedConcurrency;
    if (reserved === undefined) return;
    const running = this.inFlight.get(version.name) ?? 0;
    if (running >= reserved) {
      throw new LambdaLimitExceededError(
        reserved === 0
          ? `The function ${version.name} is throttled: its reserved concurrency is 0`
          : `The function ${version.name} is at its reserved concurrency of ${reserved} invocations in flight`,
        { function: version.name, version: version.version, reservedConcurrency: reserved },
      );
    }
    this.inFlight.set(version.name, running + 1);
  }

  /** Counts one invocation out; call exactly once per successful acquire. */
  release(version: FunctionVersion): void {
    if (version.reservedConcurrency === undefined) return;
    const running = (this.inFlight.get(version.name) ?? 1) - 1;
    if (running <= 0) this.inFlight.delete(version.name);
    else this.inFlight.set(version.name, running);
  }

  /** Invocations of `functionName` in flight now (counted only for functions with a reservation). */
  inFlightOf(functionName: string): number {
    return this.inFlight.get(functionName) ?? 0;
  }
}
