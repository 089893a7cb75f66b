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
// To time another build's Viterbi, set VITERBI=/path/to/its/dist/pitch/viterbi.js.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [npy, rate, minProbArg = "1e-4", repeatsArg = "7"] = process.argv.slice(2);
if (!npy || !rate) {
  console.error("usage: node scripts/bench_pyin_stages.mjs y.npy sr [1e-4|null] [repeats]");
  process.exit(2);
}
const dist = new URL("../dist/", import.meta.url);
const P = await import(new URL("pitch/pyin.js", dist).href);
const ours = await import(new URL("pitch/viterbi.js", dist).href);
const other = process.env.VITERBI ? await import(pathToFileURL(process.env.VITERBI).href) : null;

const buf = readFileSync(npy);
if (!buf.toString("latin1", 10, 10 + buf.readUInt16LE(8)).includes("'<f4'")) throw new Error("expected float32 .npy");
const y = new Float32Array(buf.buffer.slice(buf.byteOffset + 10 + buf.readUInt16LE(8)));
const sr = Number(rate);
const transitionMinProb = minProbArg === "null" ? null : Number(minProbArg);
const options = {
  sr, fmin: 65.40639132514966, fmax: 2093.004522404789, frameLength: 2048, hopLength: 512, center: true, padMode: "constant",
  nThresholds: 100, betaParameters: [2, 18], boltzmannParameter: 2, resolution: 0.1, maxTransitionRate: 35.92,
  switchProb: 0.01, noTroughProb: 0.01, transitionMinProb,
};
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const plan = P.planPyin(y.length, options, true);
const transitions = P.planTransitions(plan);
const nFrames = plan.yin.nFrames;
const observations = P.allocObservations(plan, nFrames, false);
const view = observations;
const stages = {
  frames: () => P.observeUnits(plan, y, observations, 0, nFrames),
  "viterbi (lazy)": (states) => ours.viterbiPyin(transitions, view, 0, nFrames, states),
  "viterbi (eager)": (states) => ours.viterbiEager(transitions, view, 0, nFrames, states),
  ...(other ? { "viterbi (VITERBI=)": (states) => other.viterbiPyin(transitions, view, 0, nFrames, states) } : {}),
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
