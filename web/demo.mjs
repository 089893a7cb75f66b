// The demo page: Pyodide from the local npm package (served at /pyodide/, where numpy's wheel
// also lies), the auralis_dsp wheel from /wheels/ through micropip, then web/demo.py; draws
// what it returns. The result is left in `window.demoResult` for the browser test.
import { loadPyodide } from "/pyodide/pyodide.mjs";

const PITCH_CLASSES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
const status = (text) => {
  document.querySelector("#status").textContent = text;
};

const margins = { left: 48, right: 12, top: 10, bottom: 28 };

const axes = (ctx, width, height, xLabel) => {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#222";
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillText(xLabel, width / 2 - 20, height - 6);
};

const drawChroma = (canvas, chroma, frameSeconds) => {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  axes(ctx, width, height, "time (s)");
  const plotW = width - margins.left - margins.right;
  const plotH = height - margins.top - margins.bottom;
  const frames = chroma[0].length;
  const cellW = plotW / frames;
  const cellH = plotH / 12;
  for (let pc = 0; pc < 12; pc++) {
    const y = margins.top + (11 - pc) * cellH;
    ctx.fillStyle = "#222";
    ctx.fillText(PITCH_CLASSES[pc], 12, y + cellH * 0.7);
    for (let f = 0; f < frames; f++) {
      const v = Math.max(0, Math.min(1, chroma[pc][f]));
      const shade = Math.round(255 * (1 - v));
      ctx.fillStyle = `rgb(${shade}, ${Math.round(shade * 0.9 + 20)}, 255)`;
      ctx.fillRect(margins.left + f * cellW, y, Math.ceil(cellW), Math.ceil(cellH));
    }
  }
  ctx.fillStyle = "#222";
  for (let s = 0; s <= Math.floor(frames * frameSeconds); s++) {
    ctx.fillText(String(s), margins.left + (s / frameSeconds) * cellW - 3, height - margins.bottom + 14);
  }
};

const drawF0 = (canvas, f0, frameSeconds, notes) => {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  axes(ctx, width, height, "time (s)");
  const plotW = width - margins.left - margins.right;
  const plotH = height - margins.top - margins.bottom;
  const [lo, hi] = [200, 600];
  const x = (i) => margins.left + (i / (f0.length - 1)) * plotW;
  const y = (hz) => margins.top + (1 - (Math.min(Math.max(hz, lo), hi) - lo) / (hi - lo)) * plotH;
  ctx.strokeStyle = "#ccc";
  ctx.fillStyle = "#222";
  for (let hz = lo; hz <= hi; hz += 100) {
    ctx.beginPath();
    ctx.moveTo(margins.left, y(hz));
    ctx.lineTo(width - margins.right, y(hz));
    ctx.stroke();
    ctx.fillText(`${hz} Hz`, 2, y(hz) + 4);
  }
  ctx.strokeStyle = "#e0a000";
  ctx.setLineDash([4, 4]);
  notes.forEach((hz, k) => {
    const i0 = k / frameSeconds;
    const i1 = Math.min((k + 1) / frameSeconds, f0.length - 1);
    ctx.beginPath();
    ctx.moveTo(x(i0), y(hz));
    ctx.lineTo(x(i1), y(hz));
    ctx.stroke();
  });
  ctx.setLineDash([]);
  ctx.strokeStyle = "#1850c8";
  ctx.lineWidth = 2;
  ctx.beginPath();
  f0.forEach((hz, i) => (i === 0 ? ctx.moveTo(x(i), y(hz)) : ctx.lineTo(x(i), y(hz))));
  ctx.stroke();
  for (let s = 0; s <= Math.floor(f0.length * frameSeconds); s++) ctx.fillText(String(s), x(s / frameSeconds) - 3, height - margins.bottom + 14);
};

const main = async () => {
  const started = performance.now();
  const pyodide = await loadPyodide({ indexURL: "/pyodide/" });
  status("loading numpy and micropip…");
  await pyodide.loadPackage(["numpy", "micropip"]);
  const [wheel] = await (await fetch("/wheels/index.json")).json();
  status(`installing ${wheel} with micropip…`);
  await pyodide.pyimport("micropip").install(new URL(`/wheels/${wheel}`, location.href).href);
  status("running effects.hpss, yin and chroma_cqt in Python…");
  const result = JSON.parse(pyodide.runPython(await (await fetch("demo.py")).text()));
  drawChroma(document.querySelector("#chroma"), result.chroma, result.frame_seconds);
  drawF0(document.querySelector("#f0"), result.f0, result.frame_seconds, result.notes_hz);
  const { chroma, f0, ...summary } = result;
  document.querySelector("#summary").textContent = JSON.stringify({ wheel, ...summary, page_ms: Math.round(performance.now() - started) }, null, 1);
  status(`done: ${result.platform}, Python ${result.python}, numpy ${result.numpy}; hpss ${result.timings_ms["effects.hpss"]} ms, yin ${result.timings_ms.yin} ms, chroma_cqt ${result.timings_ms.chroma_cqt} ms`);
  window.demoResult = result;
  document.body.dataset.state = "done";
};

main().catch((error) => {
  status(`failed: ${error.message ?? error}`);
  window.demoError = String(error.stack ?? error);
  document.body.dataset.state = "error";
});
