export { createRealFft, getRealFft, type RealFft } from "./realFft.js";
export { createComplexFft, type ComplexFft } from "./complexFft.js";
