// Two (or more) builds of pyin side by side in one process, CPU time of one thread, calls
// alternating: the frames (allocation, yin's d' and the observation model) and the Viterbi
// decoding, each build on its own observations; minima and medians, and a hash of the states.
// The machine's noise moves medians a lot more than minima: read both.
//
//   npx tsc -p tsconfig.build.json --outDir /tmp/before-dist   # at the older commit
//   node scripts/bench_pyin_ab.mjs y.npy 22050 [rounds] /tmp/before-dist ./dist
//
// y.npy: mono float32 audio (numpy.save of librosa.load(track, sr=..., duration=30)).
// EXACT=1 decodes with librosa 0.11's exact search (transition_min_prob None), else 1e-4.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { pyinOptions, readFloat32Npy } from "./pyin_input.mjs";

const [npy, rate, roundsArg = "10", ...dists] = process.argv.slice(2);
if (!npy || !rate || dists.length === 0) {
  console.error("usage: node scripts/bench_pyin_ab.mjs y.npy sr [rounds] distA [distB ...]");
  process.exit(2);
}
const y = readFloat32Npy(npy);
const sr = Number(rate);
const options = pyinOptions(sr, process.env.EXACT ? null : 1e-4);
const cpu = (run) => {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
const builds = [];
for (const dist of dists) {
  const base = pathToFileURL(resolve(dist) + "/").href;
  const P = await import(new URL("pitch/pyin.js", base).href);
  const V = await import(new URL("pitch/viterbi.js", base).href);
  const plan = P.planPyin(y.length, options, true);
  const transitions = P.planTransitions(plan);
  const n = plan.yin.nFrames;
  let observations = P.allocObservations(plan, n, false);
  P.observeUnits(plan, y, observations, 0, n);
  builds.push({
    dist,
    frames: () => cpu(() => {
      observations = P.allocObservations(plan, n, true);
      P.observeUnits(plan, y, observations, 0, n);
    }),
    // `slots` for builds whose observations were frame-major (before candidate-major rows).
    viterbi: (states) => cpu(() => V.viterbiPyin(transitions, { ...observations, slots: plan.slots }, 0, n, states)),
    n,
    times: { frames: [], viterbi: [] },
    hash: 0,
  });
}
for (let r = 0; r < Number(roundsArg); r++) {
  for (const b of builds) {
    b.times.frames.push(b.frames());
    const states = new Int32Array(b.n);
    b.times.viterbi.push(b.viterbi(states));
    b.hash = states.reduce((h, s) => (Math.imul(h, 31) + s) >>> 0, 0);
  }
}
const median = (a) => [...a].sort((x, z) => x - z)[a.length >> 1];
console.log(`# ${builds[0].n} frames, sr ${sr}, transition_min_prob ${options.transitionMinProb}, node ${process.version}, ${roundsArg} rounds, CPU ms (min / median)`);
for (const b of builds) {
  const f = b.times.frames;
  const v = b.times.viterbi;
  console.log(`${b.dist.padEnd(28)} frames ${Math.min(...f).toFixed(1)} / ${median(f).toFixed(1)}  viterbi ${Math.min(...v).toFixed(1)} / ${median(v).toFixed(1)}  states hash ${b.hash}`);
}
