/**
 * JSON as the protocol writes it: non-finite numbers travel as
 * `{"$float": "inf" | "-inf" | "nan"}` because JSON has no literal for them.
 */
const NON_FINITE: Readonly<Record<string, number>> = { inf: Infinity, "-inf": -Infinity, nan: NaN };

const nonFiniteName = (x: number): string => (Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf");

/** Replaces `{"$float": name}` objects by the numbers they stand for, recursively. */
export const decodeNonFinite = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(decodeNonFinite);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === "$float" && typeof entries[0]![1] === "string") {
      const number = NON_FINITE[entries[0]![1]];
      if (number !== undefined) return number;
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, decodeNonFinite(v)]));
  }
  return value;
};

/** JSON.stringify that writes non-finite numbers as `{"$float": ...}` instead of null. */
export const stringifyWireJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? { $float: nonFiniteName(v) } : v));
