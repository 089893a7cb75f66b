"""The Dask cluster a run uses: a LocalCluster sized to this machine, or an existing scheduler.

On a LocalCluster every worker is a process with one task thread; each
process starts its own auralis_dsp Node bridge on its first call, with
``AURALIS_DSP_THREADS`` kernel threads so that workers x threads = cores.
"""
from __future__ import annotations

import os

__all__ = ["cpu_count", "default_workers", "connect"]


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_workers(cores: int) -> int:
    """One worker per core: decoding and resampling are serial Python-side work that a second worker overlaps."""
    return max(1, cores)


def connect(workers: int | None, scheduler: str | None) -> tuple[object, object, str]:
    """(client, cluster or None, description). ``scheduler`` wins over ``workers``."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler, timeout="30s")
        n = len(client.scheduler_info().get("workers", {}))
        return client, None, f"scheduler {scheduler} ({n} workers now)"
    cores = cpu_count()
    n_workers = workers if workers else default_workers(cores)
    threads = max(1, cores // n_workers)
    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
        env={"AURALIS_DSP_THREADS": str(threads)}, silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    return client, cluster, f"local cluster: {n_workers} workers x {threads} kernel threads ({cores} cores)"
