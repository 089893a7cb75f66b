/** numpy's `round` and Python's `round` on floats: halves go to the even neighbour. */
export const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
};
