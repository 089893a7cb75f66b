// pyin's stages on one thread, in CPU time (a shared machine disturbs it far less than
// elapsed time): the frames (yin's d' and the observation model) and the Viterbi decoding,
// lazy (what the op runs) and eager (every voiced value computed), with a hash of the states.
//
//   npm run build   # dist/
//   node scripts/bench_pyin_stages.mjs y.npy 22050 [1e-4|null] [repeats]
//
// y.npy: mono float32 audio, e.g. numpy.save of librosa.load(track, sr=22050, duration=30).
// The third argument is transition_min_prob: 1e-4 (librosa 1.0's default search) or null
// (librosa 0.11's exact search). Medians and minima over the repeats, calls interleaved.
// To time another build beside this one, scripts/bench_pyin_ab.mjs (each build on its own observations).
import { pyinOptions, readFloat32Npy } from "./pyin_input.mjs";

const [npy, rate, minProbArg = "1e-4", repeatsArg = "7"] = process.argv.slice(2);
if (!npy || !rate) {
  console.error("usage: node scripts/bench_pyin_stages.mjs y.npy sr [1e-4|null] [repeats]");
  process.exit(2);
}
const dist = new URL("../dist/", import.meta.url);
const P = await import(new URL("pitch/pyin.js", dist).href);
const ours = await import(new URL("pitch/viterbi.js", dist).href);

const y = readFloat32Npy(npy);
const sr = Number(rate);
const transitionMinProb = minProbArg === "null" ? null : Number(minProbArg);
const options = pyinOptions(sr, transitionMinProb);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const plan = P.planPyin(y.length, options, true);
const transitions = P.planTransitions(plan);
const nFrames = plan.yin.nFrames;
const observations = P.allocObservations(plan, nFrames, false);
const stages = {
  frames: () => P.observeUnits(plan, y, observations, 0, nFrames),
  "viterbi (lazy)": (states) => ours.viterbiPyin(transitions, observations, 0, nFrames, states),
  "viterbi (eager)": (states) => ours.viterbiEager(transitions, observations, 0, nFrames, states),
};
const times = Object.fromEntries(Object.keys(stages).map((k) => [k, []]));
const hashes = {};
for (let r = 0; r < Number(repeatsArg); r++) {
  for (const [name, run] of Object.entries(stages)) {
    const states = new Int32Array(nFrames);
    const t0 = cpu();
    run(states);
    times[name].push(cpu() - t0);
    let h = 0;
    for (const s of states) h = (Math.imul(h, 31) + s) >>> 0;
    hashes[name] = h;
  }
}
const median = (a) => [...a].sort((x, z) => x - z)[a.length >> 1];
console.log(`# ${nFrames} frames, sr ${sr}, transition_min_prob ${transitionMinProb}, node ${process.version}, ${Number(repeatsArg)} repeats, CPU ms`);
for (const name of Object.keys(stages)) {
  const hash = name === "frames" ? "" : ` states hash ${hashes[name]}`;
  console.log(`${name.padEnd(20)} median ${median(times[name]).toFixed(1).padStart(7)}  min ${Math.min(...times[name]).toFixed(1).padStart(7)}${hash}`);
}
