import type { EventType, FunctionAssociation } from '../config/types.ts';
import { LambdaValidationError } from '../errors/function-errors.ts';
import { logEndAndReport, logFunctionConsole, logStart, type InvocationLogFields } from '../observability/lambda-log.ts';
import type { Logger } from '../observability/logger.ts';
import type { FunctionRegistry } from '../runtime/function-registry.ts';
import type { FunctionRuntime } from '../runtime/function-runtime.ts';
import { serialiseEvent, type DistributionInfo } from './cf-event.ts';
import { validateRequestHookResult, validateResponseHookResult, type RequestHookResult, type ResponseHookResult } from './cf-result.ts';
import type { CfRequest, CfResponse } from './cf-types.ts';
import type { RequestEventType, ResponseEventType } from './hooks.ts';

/**
 * Runs the function associated with one event: event in, validated result out, with Lambda's
 * START / END / REPORT lines around it. Failures are thrown as coded errors for the lifecycle to answer.
 */
export class HookRunner {
  private readonly runtime: FunctionRuntime;
  private readonly registry: FunctionRegistry;
  private readonly logger: Logger;
  private readonly distribution: DistributionInfo;

  constructor(runtime: FunctionRuntime, registry: FunctionRegistry, logger: Logger, distribution: DistributionInfo) {
    this.runtime = runtime;
    this.registry = registry;
    this.logger = logger;
    this.distribution = distribution;
  }

  async runRequestHook(eventType: RequestEventType, assoc: FunctionAssociation, request: CfRequest, requestId: string): Promise<RequestHookResult> {
    const value = await this.invoke(eventType, assoc, requestId, serialiseEvent(eventType, this.distribution, requestId, request));
    return this.validated(eventType, assoc, () => validateRequestHookResult(eventType, value, request));
  }

  async runResponseHook(
    eventType: ResponseEventType,
    assoc: FunctionAssociation,
    request: CfRequest,
    response: CfResponse,
    requestId: string,
  ): Promise<ResponseHookResult> {
    const value = await this.invoke(eventType, assoc, requestId, serialiseEvent(eventType, this.distribution, requestId, request, response));
    return this.validated(eventType, assoc, () => validateResponseHookResult(eventType, value, response));
  }

  /**
   * A validation error is the function's fault like an execution error, so its log line names the
   * function and version too (the result checks themselves know only the event type).
   */
  private validated<T>(eventType: EventType, assoc: FunctionAssociation, validate: () => T): T {
    try {
      return validate();
    } catch (err) {
      if (err instanceof LambdaValidationError) {
        const version = this.registry.get(assoc.name);
        Object.assign(err.details, { function: version.name, version: version.version, eventType });
      }
      throw err;
    }
  }

  private async invoke(eventType: EventType, assoc: FunctionAssociation, requestId: string, eventJson: string): Promise<unknown> {
    const version = this.registry.get(assoc.name);
    const fields: InvocationLogFields = { function: version.name, version: version.version, eventType, requestId };
    const logger = this.logger;
    logStart(logger, fields);
    const { result, report } = await this.runtime.invoke({
      version,
      eventJson,
      requestId,
      onConsole: (level, line) => logFunctionConsole(logger, fields, level, line),
    });
    logEndAndReport(logger, fields, report, result.ok ? 'ok' : 'error' in result ? codeOf(result.error) : 'error');
    if (result.ok) return result.value;
    const err = result.error;
    const who = { function: version.name, version: version.version, eventType };
    if ('serialisation' in err) throw new LambdaValidationError(`The ${eventType} function returned an invalid result: ${err.message}`, who);
    Object.assign(err.details, who);
    throw err;
  }
}

function codeOf(err: { code?: string } | { serialisation: true }): string {
  return 'code' in err && err.code ? err.code : 'VERGE_ERR_FUNCTION_INVALID_RESULT';
}
