"""Student trainings spread over worker processes (``--jobs N``).

Each worker is a fresh (``spawn``) Python process that receives the shared inputs (data set,
config, teacher and its outputs) once, then runs one training task at a time with its own
torch thread count.  Every task seeds torch and numpy itself, so a model does not depend on
which worker trained it or in which order: ``--jobs 2 --threads 1`` gives the same models,
byte for byte, as ``--jobs 1 --threads 1``.  Results come back in task order.
"""
from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

_SHARED: dict = {}


def _start_worker(shared, threads):
    try:
        import torch
    except ImportError:  # tasks that do not train need no torch
        pass
    else:
        torch.set_num_threads(threads)
    logging.basicConfig(level=logging.INFO, datefmt="%H:%M:%S",
                        format="%(asctime)s %(processName)s %(name)s %(message)s")
    _SHARED.clear()
    _SHARED.update(shared)


def _call(fn_task):
    fn, task = fn_task
    return fn(_SHARED, task)


def map_tasks(fn, tasks, shared, jobs=1, threads=1):
    """``[fn(shared, t) for t in tasks]``, in ``jobs`` worker processes when ``jobs`` > 1
    (``fn`` must be a module-level function so that workers can import it).  Yields the
    results in task order as they become available."""
    tasks = list(tasks)
    if jobs <= 1 or len(tasks) <= 1:
        for t in tasks:
            yield fn(shared, t)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx,
                             initializer=_start_worker, initargs=(shared, threads)) as ex:
        yield from ex.map(_call, [(fn, t) for t in tasks])
