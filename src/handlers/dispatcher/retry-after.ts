/**
 * Seconds from `nowMs` that a `Retry-After` header asks the client to wait: delta-seconds or an
 * HTTP-date (RFC 9110, section 10.2.3). Undefined when the header is absent or neither form, so the
 * retry schedule applies instead. A date already past reads as 0 (the caller's lower bound applies).
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  // Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with the weekday's name; requiring
  // it keeps `Date.parse` from reading other text, such as "1.5" or "-3", as some date.
  if (!/^[A-Za-z]{3}/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}
