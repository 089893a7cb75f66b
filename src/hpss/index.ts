export * from "./medianFilter.js";
export * from "./softmask.js";
export * from "./hpss.js";
