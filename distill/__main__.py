"""CLI: ``python -m distill run CONFIG`` | ``quantize`` | ``report`` | ``all`` (see README.md)."""
from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _positive(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return n


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m distill")
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--meshnn", help="meshnn binary for the community step "
                       "(default $MESHNN, then the meshnn that `pip install .` put beside this Python, "
                       "then target/{release,debug}/meshnn, then $PATH; "
                       "a networkx/numpy fallback is used, and logged, when none has `cluster`)")
        p.add_argument("--failout", type=float, help="failout rate q for the *_failout variants "
                       "(overrides the config)")
        p.add_argument("--jobs", type=_positive, default=1,
                       help="train the student sets in N worker processes (default 1); each "
                       "task seeds itself, so the models do not depend on N")
        p.add_argument("--threads", type=_positive, help="torch threads per process "
                       "(default 2 with --jobs 1, else 1); the teacher is trained with this "
                       "many threads too")
        p.add_argument("--out", help="write everything under this folder instead of "
                       "distill/ and tests/models/ (for debugging)")

    r = sub.add_parser("run", help="run one experiment config end to end")
    r.add_argument("config")
    common(r)
    r.add_argument("--ks", type=int, nargs="*", help="only these K")
    r.add_argument("--variants", nargs="*", help="only these variant names")
    r.add_argument("--subset", type=int, help="debug: first N training samples only")
    r.add_argument("--epochs", type=int, help="debug: override teacher and student epochs")
    r.add_argument("--no-export", action="store_true")

    rep = sub.add_parser("report", help="write distill/RESULTS.md from distill/results/*.json")
    rep.add_argument("--results", default=str(HERE / "results"))
    rep.add_argument("--output", default=str(HERE / "RESULTS.md"))

    q = sub.add_parser("quantize", help="int8 QDQ versions of already-trained models "
                       "(onnxruntime's quantiser, calibrated on training samples), no retraining")
    q.add_argument("--datasets", nargs="*", default=["mnist", "basicmotions", "gesture"])
    q.add_argument("--models", help="folder of the float models <dataset>_<variant>_k<K>.onnx "
                   "(default tests/models)")
    q.add_argument("--out", help="folder of the int8 models (default tests/models/int8/distilled)")
    q.add_argument("--results", default=str(HERE / "results"),
                   help="results JSON folder the int8 summaries are merged into ('' for none)")
    q.add_argument("--calib-samples", type=int, default=None,
                   help="calibration samples: the first N of the training split (default 256)")
    q.add_argument("--meshnn", help="also measure meshnn's accuracy (float and int8, one "
                   "device, host build) with this binary")

    pt = sub.add_parser("patterns", help="meshnn's own device-loss evaluation of the exported "
                        "models (meshnn simulate --loss-model patterns), stored in the results "
                        "JSON for RESULTS.md")
    pt.add_argument("--meshnn", help="meshnn binary (default: as for `run`)")
    pt.add_argument("--datasets", nargs="*", help="only these data sets")
    pt.add_argument("--results", default=str(HERE / "results"))
    pt.add_argument("--jobs", type=_positive, default=1, help="simulations run at a time")

    a = sub.add_parser("all", help="run every config in distill/configs, measure the "
                       "exported models with meshnn (`patterns`), then report")
    common(a)

    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        datefmt="%H:%M:%S")
    command = "python -m distill " + " ".join(shlex.quote(x) for x in argv)
    if args.cmd == "report":
        from .report import write_report
        write_report(args.results, args.output)
        return 0
    if args.cmd == "patterns":
        from .patterns import measure
        measure(args.results, meshnn=args.meshnn, datasets=args.datasets, jobs=args.jobs)
        return 0
    if args.cmd == "quantize":
        from .quantize import quantize_committed
        quantize_committed(args.datasets, models=args.models, out=args.out,
                           results=args.results or None, n_calib=args.calib_samples,
                           meshnn=args.meshnn)
        return 0
    from .train import run
    jobs = args.jobs
    threads = args.threads or (2 if jobs == 1 else 1)
    if args.cmd == "run":
        run(args.config, meshnn=args.meshnn, failout=args.failout, ks=args.ks,
            variants=args.variants, out=args.out, subset=args.subset, epochs=args.epochs,
            threads=threads, export=not args.no_export, command=command, jobs=jobs)
        return 0
    if args.cmd == "all":
        for cfg in sorted((HERE / "configs").glob("*.json")):
            run(str(cfg.relative_to(HERE.parent)), meshnn=args.meshnn, failout=args.failout,
                out=args.out, threads=threads, command=command, jobs=jobs)
        from .partition import find_meshnn
        from .patterns import measure
        from .report import write_report
        out = Path(args.out) if args.out else HERE
        if find_meshnn(args.meshnn):
            measure(str(out / "results"), meshnn=args.meshnn, jobs=args.jobs)
        else:
            logging.getLogger("distill").warning(
                "no meshnn binary found: RESULTS.md reports PyTorch's numbers only "
                "(build meshnn, then run `python -m distill patterns` and `report`)")
        write_report(str(out / "results"), str(out / "RESULTS.md"))
        return 0


if __name__ == "__main__":
    sys.exit(main())
