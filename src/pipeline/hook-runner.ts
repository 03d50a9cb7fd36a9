import type { EventType, FunctionAssociation, OriginConfig } from '../config/types.ts';
import { LambdaLimitExceededError, LambdaValidationError } from '../errors/function-errors.ts';
import { asCloudFrontFunctionError } from '../errors/cloudfront-function-errors.ts';
import { VergeError } from '../errors/verge-error.ts';
import type { CacheStatus } from '../cache/cache-status.ts';
import { applyCffOriginChange, type CffOriginChange } from './cff-origin.ts';
import { validateCffRequestResult, validateCffResponseResult, type CffRequestHookResult } from './cff-result.ts';
import { logEndAndReport, logFunctionConsole, logStart, type InvocationLogFields } from '../observability/lambda-log.ts';
import type { Logger } from '../observability/logger.ts';
import type { VersionHealth } from '../observability/version-health.ts';
import type { FunctionRegistry } from '../runtime/function-registry.ts';
import { CallBatch } from '../runtime/call-batch.ts';
import type { FunctionRuntime, InvokeOutcome, InvokeRequest } from '../runtime/function-runtime.ts';
import type { FunctionVersion } from '../runtime/function-version.ts';
import type { WireEvent } from '../runtime/isolate-instance.ts';
import { validateRequestHookResult, validateResponseHookResult, type RequestHookResult, type ResponseHookResult } from './cf-result.ts';
import { decodeResult, encodeEvent, type DistributionInfo } from './cf-wire.ts';
import type { EdgeRequest, EdgeResponse } from './edge-message.ts';
import type { RequestEventType, ResponseEventType } from './hooks.ts';

/** A request hook's result; `generated` names the outcome of a generated response when it is not Lambda@Edge's. */
export type RequestHookOutcome = (RequestHookResult | CffRequestHookResult) & { readonly generated?: CacheStatus };

/**
 * Runs the function associated with one event: event in, validated result out, with Lambda's
 * START / END / REPORT lines around it. Failures are thrown as coded errors for the lifecycle to answer.
 */
export class HookRunner {
  private readonly runtime: FunctionRuntime;
  private readonly registry: FunctionRegistry;
  private readonly logger: Logger;
  private readonly distribution: DistributionInfo;
  private readonly batch: CallBatch<InvokeRequest, InvokeOutcome>;
  private readonly health: VersionHealth | undefined;

  /** `health`, when given, records every invocation's outcome and duration per function (control/edge-agent.ts reports it). */
  constructor(runtime: FunctionRuntime, registry: FunctionRegistry, logger: Logger, distribution: DistributionInfo, health?: VersionHealth) {
    this.runtime = runtime;
    this.registry = registry;
    this.logger = logger;
    this.distribution = distribution;
    this.health = health;
    this.batch = new CallBatch((reqs) => runtime.invokeMany(reqs));
  }

  /**
   * The Lambda@Edge path is written with `then` rather than `async`/`await`: it runs on every hook
   * call, and two async frames and their awaits cost a little more than one reaction each (~0.3 µs a
   * call, measured in process, within that measurement's noise). A failure before the call (an
   * unknown function) comes back as a rejection all the same.
   */
  runRequestHook(eventType: RequestEventType, assoc: FunctionAssociation, request: EdgeRequest, requestId: string): Promise<RequestHookOutcome> {
    try {
      const version = this.registry.get(assoc.name);
      const event = encodeEvent(eventType, this.distribution, requestId, Date.now() + version.timeoutMs, request);
      if (version.runtime === 'cloudfront-js-2.0') return this.runCffRequestHook(eventType, version, request, requestId, event);
      return this.invoke(eventType, version, requestId, event).then((payload) =>
        this.validated(eventType, version, () => validateRequestHookResult(eventType, decodeResult(payload), request)),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  runResponseHook(
    eventType: ResponseEventType,
    assoc: FunctionAssociation,
    request: EdgeRequest,
    response: EdgeResponse,
    requestId: string,
  ): Promise<ResponseHookResult> {
    try {
      const version = this.registry.get(assoc.name);
      const event = encodeEvent(eventType, this.distribution, requestId, Date.now() + version.timeoutMs, request, response);
      if (version.runtime === 'cloudfront-js-2.0') return this.runCffResponseHook(eventType, version, response, requestId, event);
      return this.invoke(eventType, version, requestId, event).then((payload) =>
        this.validated(eventType, version, () => validateResponseHookResult(eventType, decodeResult(payload), response)),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A CloudFront Function at a request event: the same wire and invocation path; CloudFront Functions' own result rules and error outcomes. */
  private async runCffRequestHook(eventType: RequestEventType, version: FunctionVersion, request: EdgeRequest, requestId: string, event: WireEvent): Promise<RequestHookOutcome> {
    const payload = await this.asCloudFrontFunction(() => this.invoke(eventType, version, requestId, event));
    const result = await this.asCloudFrontFunction(() => this.validated(eventType, version, () => validateCffRequestResult(decodeResult(payload), request)));
    return result.kind === 'response' ? { ...result, generated: 'FunctionGeneratedResponse' } : result;
  }

  private async runCffResponseHook(eventType: ResponseEventType, version: FunctionVersion, response: EdgeResponse, requestId: string, event: WireEvent): Promise<ResponseHookResult> {
    const payload = await this.asCloudFrontFunction(() => this.invoke(eventType, version, requestId, event));
    return this.asCloudFrontFunction(() => this.validated(eventType, version, () => validateCffResponseResult(decodeResult(payload), response)));
  }

  /**
   * The origin a CloudFront Function's origin change leads to. Checking it (an unknown origin id) is
   * part of checking the function's result, so a failure is the function's FunctionValidationError
   * and its log line names the function, like any other invalid result.
   */
  async applyOriginChange(assoc: FunctionAssociation, change: CffOriginChange, current: OriginConfig, originsById: ReadonlyMap<string, OriginConfig>): Promise<OriginConfig> {
    const version = this.registry.get(assoc.name);
    return this.asCloudFrontFunction(() => this.validated('viewer-request', version, () => applyCffOriginChange(change, current, originsById)));
  }

  /** A CloudFront Function's failure is reported with CloudFront Functions' outcomes (FunctionExecutionError, …). */
  private async asCloudFrontFunction<T>(work: () => T | Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw err instanceof VergeError ? asCloudFrontFunctionError(err) : err;
    }
  }

  /**
   * A validation error is the function's fault like an execution error, so its log line names the
   * function and version too (the result checks themselves know only the event type).
   */
  private validated<T>(eventType: EventType, version: FunctionVersion, validate: () => T): T {
    try {
      return validate();
    } catch (err) {
      // The invocation was counted as a success; its result was not one.
      this.health?.markFailed(version.name);
      if (err instanceof LambdaValidationError) Object.assign(err.details, who(version, eventType));
      throw err;
    }
  }

  /** Runs the function; resolves with its result on the wire, or rejects with its coded failure. */
  private invoke(eventType: EventType, version: FunctionVersion, requestId: string, event: WireEvent): Promise<string> {
    const fields: InvocationLogFields = { function: version.name, version: version.version, eventType, requestId };
    const logger = this.logger;
    logStart(logger, fields);
    return this.batch.run(version.key, { version, event, requestId, onConsole: (level, line) => logFunctionConsole(logger, fields, level, line) }).then(
      (outcome) => this.invoked(version, fields, outcome),
      (err: unknown) => {
        // Refused before it ran (throttled): no REPORT, but the error log line names the event too.
        if (err instanceof LambdaLimitExceededError) Object.assign(err.details, who(version, eventType));
        this.health?.record(version.name, undefined, false);
        throw err;
      },
    );
  }

  /** An invocation's outcome: its REPORT line and health record, then its result on the wire or its coded failure. */
  private invoked(version: FunctionVersion, fields: InvocationLogFields, outcome: InvokeOutcome): string {
    const { result, report } = outcome;
    const err = result.ok ? undefined : result.error;
    this.health?.record(fields.function, report.durationMs, err === undefined);
    logEndAndReport(this.logger, fields, report, err === undefined ? 'ok' : 'shape' in err ? 'VERGE_ERR_FUNCTION_INVALID_RESULT' : err.code);
    if (err === undefined) return (result as { value: string }).value;
    if ('shape' in err) throw new LambdaValidationError(`The ${fields.eventType} function returned an invalid result: ${err.message}`, who(version, fields.eventType));
    Object.assign(err.details, who(version, fields.eventType));
    throw err;
  }
}

/** Which function, version and event an error came from: its details, as the error log line shows them. */
function who(version: FunctionVersion, eventType: EventType): { function: string; version: string; eventType: EventType } {
  return { function: version.name, version: version.version, eventType };
}
