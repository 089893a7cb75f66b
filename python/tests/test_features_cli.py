"""`auralis-dsp features`: rows, statuses, summary and exit code, resume, interruption, plots, an external scheduler."""
from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from importlib.metadata import entry_points

import numpy as np
import pytest

pq = pytest.importorskip("pyarrow.parquet")
sf = pytest.importorskip("soundfile")
pytest.importorskip("distributed")

from auralis_dsp.cli import main  # noqa: E402
from auralis_dsp.cli.analysis import f0_statistics  # noqa: E402
from auralis_dsp.cli.decode import DecodeError, load_audio  # noqa: E402
from auralis_dsp.cli.key import estimate_key  # noqa: E402
from auralis_dsp.cli.progress import Progress  # noqa: E402
from auralis_dsp.cli.table import FeatureTable  # noqa: E402
from auralis_dsp.cli.task import output_stem  # noqa: E402
from auralis_dsp.cli.walk import Track, find_tracks  # noqa: E402

SECONDS = 3.0


def tone(f0: float, sr: int, seconds: float = SECONDS) -> np.ndarray:
    """A harmonic tone (f0 and three overtones) with a soft click every half second."""
    t = np.arange(int(sr * seconds)) / sr
    y = sum(0.3 / k * np.sin(2 * np.pi * k * f0 * t) for k in range(1, 5))
    clicks = np.zeros_like(t)
    clicks[:: sr // 2] = 0.5
    return (y + clicks).astype(np.float32)


def make_library(root, corrupt: bool = True, extra: int = 0) -> dict:
    """wav (mono, 44.1 kHz), flac (stereo), ogg (22.05 kHz) in subfolders, a corrupt mp3 and a text file."""
    (root / "album" / "disc 2").mkdir(parents=True)
    files = {
        "a440.wav": (root / "album" / "a440.wav", tone(440.0, 44100), 44100),
        "g196.flac": (root / "album" / "disc 2" / "g196.flac", np.stack([tone(196.0, 48000)] * 2, axis=1), 48000),
        "c262.ogg": (root / "c262.ogg", tone(261.63, 22050), 22050),
    }
    for i in range(extra):
        files[f"extra{i}.wav"] = (root / f"extra{i}.wav", tone(110.0 * (i + 2), 22050, 2.0), 22050)
    for path, y, sr in files.values():
        sf.write(str(path), y, sr)
    if corrupt:
        (root / "broken.mp3").write_bytes(b"\xff\xfb\x90\x00" + os.urandom(3000))
    (root / "album" / "notes.txt").write_text("not audio")
    return {name: str(path) for name, (path, _, _) in files.items()}


def run_cli(*args, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auralis_dsp.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def read_rows(path) -> dict:
    return {row["path"]: row for row in pq.read_table(str(path)).to_pylist()}


def same_row(a: dict, b: dict) -> bool:
    """Equal rows, NaN equal to NaN (yin rows have a NaN voiced share)."""
    def nan_safe(row):
        return {k: "nan" if isinstance(v, float) and np.isnan(v) else v for k, v in row.items()}

    return nan_safe(a) == nan_safe(b)


# ---------------------------------------------------------------- pieces, without a cluster


def test_help_version_and_console_script(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "features" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["features", "--help"])
    text = capsys.readouterr().out
    for words in (
        "MUSIC_DIR",
        "--plots",
        "--frames",
        "--sr",
        "--workers",
        "--scheduler",
        "already done",
        "Exit status",
    ):
        assert words in text
    with pytest.raises(SystemExit):
        main(["--version"])
    import auralis_dsp

    assert capsys.readouterr().out.strip() == f"auralis-dsp {auralis_dsp.__version__}"
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("auralis-dsp") == "auralis_dsp.cli:main"


def test_walk_finds_audio_recursively(tmp_path):
    files = make_library(tmp_path)
    (tmp_path / ".hidden").mkdir()
    sf.write(str(tmp_path / ".hidden" / "x.wav"), np.zeros(100), 8000)
    found = find_tracks(str(tmp_path))
    assert [t.path for t in found] == sorted([*files.values(), str(tmp_path / "broken.mp3")])
    assert all(t.size_bytes == os.path.getsize(t.path) for t in found)


@pytest.mark.parametrize("name", ["a440.wav", "g196.flac", "c262.ogg"])
def test_decoding_matches_librosa_load(tmp_path, name):
    librosa = pytest.importorskip("librosa")
    path = make_library(tmp_path, corrupt=False)[name]
    decoded = load_audio(path, 22050)
    reference, _ = librosa.load(path, sr=22050)
    assert decoded.y.dtype == reference.dtype == np.float32
    assert decoded.y.shape == reference.shape
    np.testing.assert_array_equal(decoded.y, reference)


def test_undecodable_file_raises_a_decode_error(tmp_path):
    path = tmp_path / "broken.flac"
    path.write_bytes(b"fLaC" + os.urandom(500))
    with pytest.raises(DecodeError):
        load_audio(str(path), 22050)


def test_key_estimate_from_profiles():
    from auralis_dsp.cli.key import MAJOR_PROFILE, MINOR_PROFILE

    assert estimate_key(np.roll(MAJOR_PROFILE, 7))[0] == "G major"
    assert estimate_key(np.roll(MINOR_PROFILE, 9))[0] == "A minor"
    triad = np.zeros(12)
    triad[[2, 6, 9]] = 1.0  # D F# A
    assert estimate_key(triad)[0] == "D major"
    assert estimate_key(np.ones(12))[0] == ""


def test_f0_statistics_with_and_without_voicing():
    f0 = np.array([100.0, 200.0, 200.0, 400.0, np.nan])
    voiced = np.array([True, True, True, True, False])
    stats = f0_statistics(f0, voiced)
    assert stats["f0_median_hz"] == 200.0
    assert stats["voiced_share"] == 0.8
    assert stats["f0_spread_semitones"] == pytest.approx(12 * np.log2(250 / 175))
    yin_stats = f0_statistics(np.array([100.0, 200.0, 300.0]), None)
    assert yin_stats["f0_median_hz"] == 200.0 and np.isnan(yin_stats["voiced_share"])


def test_progress_bar_on_a_terminal_and_lines_otherwise():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = Progress(total=2, stream=stream)
        progress.update("/m/a.wav", True)
        progress.update("/m/b.wav", False, "DecodeError: bad")
    assert terminal.getvalue().startswith("\r[###############---------------] 1/2 tracks")
    assert "2/2 tracks, 1 failed" in terminal.getvalue() and terminal.getvalue().endswith("\n")
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("[1/2] /m/a.wav: ok (1/2 tracks, ") and "tracks/min, ETA" in lines[0]
    assert lines[1].startswith("[2/2] /m/b.wav: error: DecodeError: bad (2/2 tracks, 1 failed")


def test_table_parts_survive_and_later_rows_win(tmp_path):
    output = tmp_path / "t.parquet"
    tracks = [Track(f"/m/{i}.wav", 10 + i, 100 + i) for i in range(3)]
    table = FeatureTable(str(output), rows_per_part=2)
    table.add({"path": tracks[0].path, "status": "error", "error": "first try"})
    table.add({"path": tracks[1].path, "status": "ok", "size_bytes": 11, "mtime_ns": 101})  # flushed: 2 rows
    assert len(FeatureTable(str(output)).existing_rows()) == 2  # what a second process would see
    table.add({"path": tracks[0].path, "status": "ok", "size_bytes": 10, "mtime_ns": 100})
    rows = table.merge(tracks)
    assert [r["path"] for r in rows] == [tracks[0].path, tracks[1].path]
    assert rows[0]["status"] == "ok" and rows[0]["error"] is None
    assert not os.path.exists(table.parts_dir)
    assert list(read_rows(output)) == [tracks[0].path, tracks[1].path]


# ---------------------------------------------------------------- the command on a local cluster


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("features")
    files = make_library(root / "music")
    out = root / "out"
    result = run_cli("features", root / "music", "-o", out / "features.parquet", "--plots", out / "plots",
                     "--frames", out / "frames", "--workers", "2")
    return {"root": root, "music": root / "music", "files": files, "out": out, "result": result,
            "rows": read_rows(out / "features.parquet")}


def test_a_broken_file_gets_an_error_row_and_the_run_succeeds(first_run):
    result, rows, files = first_run["result"], first_run["rows"], first_run["files"]
    assert result.returncode == 0, result.stderr
    broken = str(first_run["music"] / "broken.mp3")
    assert set(rows) == {*files.values(), broken}
    assert rows[broken]["status"] == "error" and "DecodeError" in rows[broken]["error"]
    assert rows[broken]["f0_median_hz"] is None
    assert "3 ok (0 from an earlier run), 1 failed, 4 audio files" in result.stderr
    assert f"failed: {broken}: DecodeError" in result.stderr
    expected_f0 = {"a440.wav": 440.0, "g196.flac": 196.0, "c262.ogg": 261.63}
    expected_key_tonic = {"a440.wav": "A", "g196.flac": "G", "c262.ogg": "C"}
    for name, path in files.items():
        row = rows[path]
        assert row["status"] == "ok" and row["error"] is None, row
        assert row["sample_rate"] == 22050 and row["duration_s"] == pytest.approx(SECONDS, abs=1e-3)
        assert row["f0_median_hz"] == pytest.approx(expected_f0[name], rel=0.01)
        assert row["key"].split()[0] == expected_key_tonic[name]
        assert row["harmonic_percussive_ratio"] > 1 and 0 < row["harmonic_share"] < 1
        assert -0.5 <= row["tuning"] < 0.5
        assert row["f0_method"] in ("yin", "pyin")
        chroma = [row[f"chroma_{pc}"] for pc in ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")]
        assert max(chroma) <= 1.0 and min(chroma) >= 0.0
    assert rows[files["g196.flac"]]["channels"] == 2 and rows[files["g196.flac"]]["native_sample_rate"] == 48000


def test_frames_plots_and_index(first_run):
    import matplotlib.image

    out, rows = first_run["out"], first_run["rows"]
    html = (out / "plots" / "index.html").read_text()
    for path, row in rows.items():
        stem = output_stem(path)
        assert os.path.basename(path) in html
        if row["status"] != "ok":
            assert not (out / "plots" / f"{stem}.png").exists()
            assert "DecodeError" in html
            continue
        image = matplotlib.image.imread(str(out / "plots" / f"{stem}.png"))
        assert image.shape[0] > 500 and image.shape[1] > 800
        assert image[..., :3].std() > 0.05  # drawn, not blank
        assert f"<img src='{stem}.png'" in html
        with np.load(out / "frames" / f"{stem}.npz") as frames:
            assert frames["chroma"].shape == (12, frames["f0"].shape[0]) == (12, frames["times"].shape[0])
            assert np.nanmedian(frames["f0"]) == pytest.approx(row["f0_median_hz"], rel=0.01)


def test_a_second_run_skips_what_is_done(first_run):
    out, music, files = first_run["out"], first_run["music"], first_run["files"]
    os.utime(files["c262.ogg"], ns=(time.time_ns(), time.time_ns()))  # a changed file is done again
    result = run_cli("features", music, "-o", out / "features.parquet", "--plots", out / "plots",
                     "--frames", out / "frames", "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "2 of 4 tracks already done" in result.stderr
    rows = read_rows(out / "features.parquet")
    for name in ("a440.wav", "g196.flac"):  # untouched: the very same rows
        assert same_row(rows[files[name]], first_run["rows"][files[name]])
    assert rows[files["c262.ogg"]]["mtime_ns"] != first_run["rows"][files["c262.ogg"]]["mtime_ns"]
    assert "3 ok (2 from an earlier run), 1 failed" in result.stderr


def test_nothing_decodable_exits_1(tmp_path):
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "bad.wav").write_bytes(b"RIFF" + os.urandom(200))
    result = run_cli("features", tmp_path / "music", "-o", tmp_path / "f.parquet", "--workers", "1")
    assert result.returncode == 1, result.stderr
    assert "0 ok (0 from an earlier run), 1 failed" in result.stderr
    assert [r["status"] for r in read_rows(tmp_path / "f.parquet").values()] == ["error"]
    (tmp_path / "empty").mkdir()
    result = run_cli("features", tmp_path / "empty", "-o", tmp_path / "g.parquet")
    assert result.returncode == 1 and "no audio files found" in result.stderr


def test_ctrl_c_keeps_finished_rows_and_the_next_run_resumes(tmp_path):
    files = make_library(tmp_path / "music", corrupt=False, extra=5)
    output = tmp_path / "f.parquet"
    cmd = [sys.executable, "-m", "auralis_dsp.cli", "features", str(tmp_path / "music"), "-o", str(output),
           "--workers", "1"]
    # SIGINT as a terminal would deliver it: a shell's background job (`.ci/run &`) starts with SIGINT ignored,
    # children inherit that, and Python then leaves it ignored (no KeyboardInterrupt).
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    finished = []
    try:
        for line in proc.stderr:
            if line.startswith("["):
                finished.append(line)
            if len(finished) == 2:
                proc.send_signal(signal.SIGINT)
                break
        rest = proc.communicate(timeout=120)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, rest
    assert "interrupted" in rest
    assert not output.exists()
    kept = FeatureTable(str(output)).existing_rows()
    assert len(kept) >= 2 and len(kept) < len(files)
    assert all(row["status"] == "ok" for row in kept.values())

    result = run_cli("features", tmp_path / "music", "-o", output, "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert f"{len(kept)} of {len(files)} tracks already done" in result.stderr
    rows = read_rows(output)
    assert set(rows) == set(files.values()) and all(r["status"] == "ok" for r in rows.values())
    for path, row in kept.items():
        assert same_row(rows[path], row)  # the rows finished before Ctrl-C, not recomputed
    assert not os.path.exists(str(output) + ".parts")


# ---------------------------------------------------------------- an external scheduler


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A `dask scheduler` and two `dask worker` processes on loopback, started and stopped here."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, AURALIS_DSP_THREADS="1")
    started = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                 "--port", str(port), "--no-dashboard"], env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for i in range(2):
            started.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--host", "127.0.0.1",
                 "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--name", f"test-worker-{i}"],
                env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield address
    finally:
        for proc in reversed(started):
            proc.terminate()
        for proc in started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_runs_unchanged_on_an_existing_scheduler(tmp_path, dask_cluster):
    from distributed import Client

    files = make_library(tmp_path / "music", extra=1)
    result = run_cli("features", tmp_path / "music", "-o", tmp_path / "f.parquet", "--scheduler", dask_cluster)
    assert result.returncode == 0, result.stderr
    assert f"on scheduler {dask_cluster} (2 workers now)" in result.stderr
    rows = read_rows(tmp_path / "f.parquet")
    assert {p for p, r in rows.items() if r["status"] == "ok"} == set(files.values())
    assert [r["status"] for p, r in rows.items() if p.endswith("broken.mp3")] == ["error"]
    with Client(dask_cluster, timeout="5s") as client:
        assert len(client.scheduler_info()["workers"]) == 2  # the cluster outlives the command
