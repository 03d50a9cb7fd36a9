/**
 * HTTP-date (RFC 9110 §5.6.7), parsed strictly. Date.parse accepts almost anything ("0", "2050",
 * "Thu, 18 Aug 50 02:01:18 UTC", local-time asctime…), and RFC 9111 §5.3 wants an invalid Expires
 * to mean "already expired", so the cache cannot use it: only the three forms the RFC defines are
 * accepted here, each exactly as written.
 *
 *   IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
 *   rfc850-date  Sunday, 06-Nov-94 08:49:37 GMT
 *   asctime      Sun Nov  6 08:49:37 1994
 *
 * The only leniency: day and month names and "GMT" are matched case-insensitively, and a weekday
 * that does not fit the date is not checked. RFC 9110 §5.6.7 encourages recipients to be robust
 * here, and neither can make one date mean another.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');

/**
 * Milliseconds since the epoch, or undefined when `value` is not an HTTP-date. `nowMs` places the
 * two-digit years of rfc850-date (RFC 9110 §5.6.7: a year more than 50 years ahead is in the past).
 */
export function parseHttpDate(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  // Surrounding whitespace is not part of a field value (RFC 9110 §5.5).
  const text = value.trim();
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return build(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(text);
  if (m !== null) {
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + Number(m[3]);
    if (year > nowYear + 50) year -= 100;
    return build(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME_DATE.exec(text);
  if (m !== null) return build(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}

/** IMF-fixdate, the form every sender must use (RFC 9110 §5.6.7). Milliseconds are dropped. */
export function formatHttpDate(ms: number): string {
  // Date#toUTCString produces exactly IMF-fixdate for years 0–9999.
  return new Date(ms).toUTCString();
}

function build(year: number, monthName: string, day: number, hh: string, mm: string, ss: string): number | undefined {
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const hour = Number(hh);
  const minute = Number(mm);
  const second = Number(ss);
  // RFC 9110 §5.6.7: second may be 60 (a leap second); nothing else out of range is a date.
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month, day);
  // 31 Feb and the like roll over into the next month: not a date.
  if (date.getUTCMonth() !== month || date.getUTCDate() !== day) return undefined;
  date.setUTCHours(hour, minute, Math.min(second, 59), 0);
  return date.getTime();
}
