/** Values as Python prints them, for messages that repeat librosa's word for word. */

/** Python's repr of a value, for messages that quote librosa's. */
export const pyRepr = (v: unknown): string => {
  if (v === null || v === undefined) return "None";
  if (typeof v === "string") return `'${v}'`;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return pyNumber(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "function") return `<function ${v.name || "<lambda>"}>`;
  return String(v);
};

/** A number as Python prints it (`inf`, `nan`; integers without a point, as ints print). */
export const pyNumber = (x: number): string => (Number.isNaN(x) ? "nan" : x === Infinity ? "inf" : x === -Infinity ? "-inf" : String(x));

/** A computed float as Python prints it: always with a point (`11025.0`). */
export const pyFloat = (x: number): string => (Number.isInteger(x) ? `${x}.0` : pyNumber(x));

/** A shape as Python prints a tuple. */
export const pyShape = (shape: readonly number[]): string => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`);
