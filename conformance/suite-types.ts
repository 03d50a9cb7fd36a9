/**
 * The shapes of the public HTTP cache-tests suite (npm `http-cache-tests`, cache-tests.fyi), as its
 * client (client/test.mjs), server (server/handle-test.mjs) and results display (lib/display.mjs) use
 * them. Only the fields our harness and our own test files touch are typed.
 */

/** A header the origin sends: [name, value] or [name, value, checkedAtClient]; an integer Date-like value is seconds from the server's now. */
export type ResponseHeader = readonly [string, string | number] | readonly [string, string | number, boolean];

/** A header the client expects: a name (present), [name, value], or [name, '=' | '>', other]. */
export type ExpectedHeader = string | readonly [string, string | number] | readonly [string, '=' | '>', string | number];

/** One request of a test, and how the origin answers it. */
export interface RequestConfig {
  readonly request_method?: string;
  readonly request_headers?: readonly (readonly [string, string])[];
  readonly response_status?: readonly [number, string];
  readonly response_headers?: readonly ResponseHeader[];
  readonly response_body?: string;
  /** `cached`: the origin must not see this request; `not_cached`: it must; `*_validated`: it must see a conditional one. */
  readonly expected_type?: 'cached' | 'not_cached' | 'etag_validated' | 'lm_validated';
  readonly expected_status?: number;
  readonly expected_response_headers?: readonly ExpectedHeader[];
  readonly expected_response_headers_missing?: readonly (string | readonly [string, string])[];
  readonly expected_request_headers?: readonly (string | readonly [string, string])[];
  /** The request only sets the stage: its failures count as setup failures. */
  readonly setup?: boolean;
  /** Checks of an otherwise non-setup request that count as setup: 'expected_type', 'expected_status', … */
  readonly setup_tests?: readonly string[];
  /** Wait 3 s after this request (client/utils.mjs pause). */
  readonly pause_after?: boolean;
}

/** `required`: the RFC says MUST; `optimal`: a better cache does it; `check`: a behaviour survey (yes/no). Unset means required. */
export type TestKind = 'required' | 'optimal' | 'check';

export interface CacheTest {
  readonly name: string;
  readonly id: string;
  readonly kind?: TestKind;
  /** Test ids that must pass first, or this one counts as a dependency failure (lib/display.mjs). */
  readonly depends_on?: readonly string[];
  readonly browser_only?: boolean;
  readonly browser_skip?: boolean;
  readonly requests: readonly RequestConfig[];
  /** Set by the harness to make the client and the origin print every request and response. */
  dump?: boolean;
}

export interface TestSuite {
  readonly name: string;
  readonly id: string;
  readonly description?: string;
  readonly tests: CacheTest[];
}

/** One test's raw result: true, or the thrown error's [name, message] ('Assertion', 'Setup', 'FetchError', …). */
export type TestResult = true | readonly [string, string];

/** Results by test id, as the suite's client returns them and as results/*.json files hold them. */
export type ResultSet = Readonly<Record<string, TestResult>>;

/** An implementation whose results the package ships (results/index.mjs). */
export interface ImplementationInfo {
  readonly file: string;
  readonly name: string;
  readonly type: 'browser' | 'rev-proxy' | 'cdn';
  readonly version: string;
  readonly link?: string;
}
