"""The experiment pipeline: teacher → filter activation network → partitions → joint
student distillation (± failout) → evaluation under student loss → ONNX export."""
from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from . import export as E
from . import graph as G
from . import partition as P
from . import quantize as Q
from . import workers as W
from .models import Distilled, Teacher

log = logging.getLogger("distill")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
P_LOSS = (0.0, 0.1, 0.2, 0.3, 0.5)


def device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def batches(n, bs, rng, shuffle=True):
    idx = rng.permutation(n) if shuffle else np.arange(n)
    for i in range(0, n, bs):
        yield idx[i:i + bs]


def n_params(m):
    return sum(p.numel() for p in m.parameters())


# ------------------------------------------------------------------------- teacher
def train_teacher(ds, cfg, seed, dev):
    tc = cfg["teacher"]
    torch.manual_seed(seed)
    dim = len(ds.input_shape) - 2
    model = Teacher(dim, ds.input_shape[1], ds.num_classes, tuple(tc["widths"])).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=tc["lr"], weight_decay=tc.get("wd", 5e-4))
    epochs = tc["epochs"]
    steps = epochs * math.ceil(len(ds.y_train) / tc["batch"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, tc["lr"], total_steps=steps)
    x = torch.from_numpy(ds.x_train).to(dev)
    y = torch.from_numpy(ds.y_train).to(dev)
    rng = np.random.default_rng(seed)
    for ep in range(epochs):
        model.train()
        tot = 0.0
        for b in batches(len(y), tc["batch"], rng):
            b = torch.from_numpy(b).to(dev)
            xb = augment(x[b], cfg)
            logits, _ = model(xb)
            loss = F.cross_entropy(logits, y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(b)
        log.info("teacher epoch %d/%d loss %.4f test acc %.4f", ep + 1, epochs,
                 tot / len(y), teacher_accuracy(model, ds, dev))
    return model.eval()


def augment(xb, cfg):
    """Random shifts by up to ``shift`` samples/pixels (zero padded)."""
    s = cfg.get("augment_shift", 0)
    if not s:
        return xb
    dims = list(range(2, xb.dim()))
    pad = []
    for _ in dims:
        pad += [s, s]
    xp = F.pad(xb, pad)
    offs = [int(np.random.randint(0, 2 * s + 1)) for _ in dims]
    sl = [slice(None), slice(None)] + [slice(o, o + xb.shape[d]) for o, d in zip(offs, dims)]
    return xp[tuple(sl)]


@torch.no_grad()
def teacher_outputs(model, x, dev, bs=500):
    logits, maps = [], []
    for i in range(0, len(x), bs):
        lo, fm = model(torch.from_numpy(x[i:i + bs]).to(dev))
        logits.append(lo.cpu())
        maps.append(fm.cpu())
    return torch.cat(logits), torch.cat(maps)


def teacher_accuracy(model, ds, dev):
    model.eval()
    lo, _ = teacher_outputs(model, ds.x_test, dev)
    return float((lo.argmax(1).numpy() == ds.y_test).mean())


# ------------------------------------------------------------------------- students
def normalised(maps):
    """Per-channel L2-normalised spatial maps [N, C, S]."""
    m = maps.flatten(2)
    return m / (m.norm(dim=2, keepdim=True) + 1e-6)


def train_students(ds, cfg, assign, resilient, failout, t_logits, t_maps, seed, dev,
                   fusion="concat", teacher=None):
    """Joint distillation of the K students.  ``students.augment`` (config, needs
    ``teacher``): each batch is randomly shifted (``augment_shift``) and the teacher's logits
    and maps are computed on the shifted batch.  ``students.head_kd`` (late fusion): weight
    of an extra distillation term on every student's own logits (mean over students)."""
    sc = cfg["students"]
    torch.manual_seed(seed)
    np.random.seed(seed)
    dim = len(ds.input_shape) - 2
    model = Distilled(dim, ds.input_shape[1], ds.num_classes, assign, tuple(sc["widths"]),
                      resilient=resilient, fusion=fusion).to(dev)
    online = bool(sc.get("augment")) and teacher is not None
    head_kd = float(sc.get("head_kd", 0.0)) if fusion == "late" else 0.0
    filt = [torch.tensor(f, dtype=torch.long) for f in P.student_filters(assign)]
    opt = torch.optim.AdamW(model.parameters(), lr=sc["lr"], weight_decay=sc.get("wd", 5e-4))
    epochs, bs = sc["epochs"], sc["batch"]
    steps = epochs * math.ceil(len(ds.y_train) / bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, sc["lr"], total_steps=steps)
    T, alpha, beta = sc["T"], sc["alpha"], sc["beta"]
    x = torch.from_numpy(ds.x_train)
    y = torch.from_numpy(ds.y_train)
    t_norm = normalised(t_maps)  # [N, F, S]
    rng = np.random.default_rng(seed)
    K = model.K
    for ep in range(epochs):
        model.train()
        acc = {"ce": 0.0, "kd": 0.0, "at": 0.0}
        for b in batches(len(y), bs, rng):
            bt = torch.from_numpy(b)
            xb, yb = x[bt].to(dev), y[bt].to(dev)
            if online:
                xb = augment(xb, cfg)
                with torch.no_grad():
                    tl, tm = teacher(xb)
                tb = normalised(tm)
            else:
                tl, tb = t_logits[bt].to(dev), t_norm[bt].to(dev)
            outs = model.student_outputs(xb)
            feats = [f for f, _ in outs]
            mask = None
            if failout > 0:
                mask = (torch.rand(len(b), K, device=dev) >= failout).float()
            t_soft = F.softmax(tl / T, 1)
            if fusion == "late":
                heads = model.head_logits(feats)
                logits = model.fuse_logits(heads, mask)
            else:
                logits = model.aggregate(feats, mask)
            ce = F.cross_entropy(logits, yb)
            kd = F.kl_div(F.log_softmax(logits / T, 1), t_soft,
                          reduction="batchmean") * T * T
            if head_kd:
                hk = sum(F.kl_div(F.log_softmax(h / T, 1), t_soft, reduction="batchmean")
                         for h in heads) * T * T / K
                kd = kd + head_kd * hk
            at = 0.0
            for k, (_, m) in enumerate(outs):
                d = normalised(m) - tb[:, filt[k]]
                at = at + d.pow(2).sum(2).mean()
            at = at / K
            loss = (1 - alpha) * ce + alpha * kd + beta * at
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            n = len(b)
            acc["ce"] += ce.item() * n
            acc["kd"] += kd.item() * n
            acc["at"] += at.item() * n
        log.info("  epoch %d/%d ce %.4f kd %.4f transfer %.4f", ep + 1, epochs,
                 *(v / len(y) for v in acc.values()))
    return model.eval()


# ------------------------------------------------------------------------- evaluation
@torch.no_grad()
def failure_table(model, x, y, dev, bs=500):
    """Accuracy for every pattern of arrived students (2^K), by #lost, and expected
    accuracy under independent per-student loss p."""
    model.eval()
    K = model.K
    feats = [[] for _ in range(K)]
    for i in range(0, len(x), bs):
        outs = model.student_outputs(torch.from_numpy(x[i:i + bs]).to(dev))
        for k, (f, _) in enumerate(outs):
            feats[k].append(f)
    feats = [torch.cat(f) for f in feats]
    yt = torch.from_numpy(y).to(dev)
    n = len(y)
    accs = {}
    for bits in itertools.product([1.0, 0.0], repeat=K):
        mask = torch.tensor(bits, device=dev).expand(n, K)
        pred = model.aggregate(feats, mask).argmax(1)
        accs[bits] = float((pred == yt).float().mean())
    by_lost = []
    for j in range(K + 1):
        vals = [a for b, a in accs.items() if K - int(sum(b)) == j]
        by_lost.append({"lost": j, "mean": float(np.mean(vals)), "worst": float(np.min(vals)),
                        "best": float(np.max(vals)), "patterns": len(vals)})
    expected = {}
    for p in P_LOSS:
        tot = 0.0
        for b, a in accs.items():
            lost = K - int(sum(b))
            tot += (p ** lost) * ((1 - p) ** (K - lost)) * a
        expected[str(p)] = tot
    return {"acc_all": accs[tuple([1.0] * K)], "by_lost": by_lost, "expected": expected,
            "patterns": {"".join(str(int(v)) for v in b): a for b, a in accs.items()}}


def student_seeds(cfg, K, seed):
    """``students.seeds``: a list (every K) or {"K": list}; default the config's seed."""
    ss = cfg["students"].get("seeds", [seed])
    if isinstance(ss, dict):
        ss = ss.get(str(K), [seed])
    return [int(s) for s in ss]


def seed_stats(per_seed):
    """Mean and (population) std over the student seeds of the summary numbers."""
    def ms(vals):
        return {"mean": float(np.mean(vals)), "std": float(np.std(vals)), "n": len(vals)}
    K = len(per_seed[0]["by_lost"]) - 1
    return {"acc_all": ms([r["acc_all"] for r in per_seed]),
            "expected": {p: ms([r["expected"][p] for r in per_seed])
                         for p in per_seed[0]["expected"]},
            "by_lost_mean": [ms([r["by_lost"][j]["mean"] for r in per_seed]) for j in range(K + 1)],
            "by_lost_worst": [ms([r["by_lost"][j]["worst"] for r in per_seed])
                              for j in range(K + 1)]}


# ------------------------------------------------------------------------- pipeline
def cfg_hash(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:12]


def variant_failout(cfg, v):
    """The failout rate q of a variant: its ``failout_rate``, else the config's ``failout``;
    0 when the variant trains without failout."""
    return v.get("failout_rate", cfg["failout"]) if v.get("failout") else 0.0


def partitions(adj, K, r, seed, meshnn, name, results, art_dir):
    """NoNN (Louvain, disjoint) and resilient (balanced eigenvector, r copies) assignments
    of the teacher's filters to K students, recorded in ``results`` and ``art_dir``."""
    parts = {}
    nonn = P.cluster(adj, K, "louvain", balanced=False, meshnn=meshnn, seed=seed)
    parts["nonn"] = (P.nonn_assignment(nonn["labels"]), nonn)
    P.check_assignment(parts["nonn"][0], adj.shape[0], disjoint=True, equal=False, r=1)
    eig = P.cluster(adj, K, "eigen", balanced=True, meshnn=meshnn, seed=seed)
    parts["resilient"] = (P.resilient_assignment(eig["labels"], r), eig)
    P.check_assignment(parts["resilient"][0], adj.shape[0], disjoint=False, equal=True, r=r)
    for pn, (assign, cl) in parts.items():
        rec = {"K": K, "method": pn, "source": cl["source"], "command": cl["command"],
               "binary": cl.get("binary"),
               "modularity": cl["modularity"], "groups": assign["groups"],
               "students": assign["students"], "r": assign["r"]}
        results["partitions"][f"{pn}_k{K}"] = rec
        (art_dir / f"{name}_{pn}_k{K}_partition.json").write_text(json.dumps(rec, indent=1))
        log.info("partition %s K=%d (%s): sizes %s, Q=%.4f", pn, K, cl["source"],
                 [len(g) for g in assign["groups"]], cl["modularity"])
    return {pn: assign for pn, (assign, _) in parts.items()}


def student_task(cfg, K, v, assign, s_seed):
    """One joint student training of variant ``v`` at K with student seed ``s_seed``."""
    return {"tag": f"{v['name']}_k{K} seed {s_seed}", "assign": assign[v["partition"]],
            "resilient": v["partition"] == "resilient", "failout": variant_failout(cfg, v),
            "fusion": v.get("fusion", "concat"), "seed": s_seed}


def train_and_evaluate(shared, task):
    """Train one student set (``task``) and its failure table: (model on CPU, table, s)."""
    ds, dev = shared["ds"], shared["dev"]
    log.info("training %s %s (fusion %s, failout %.2f)", ds.name, task["tag"], task["fusion"],
             task["failout"])
    t1 = time.time()
    m = train_students(ds, shared["cfg"], task["assign"], task["resilient"], task["failout"],
                       shared["t_logits"], shared["t_maps"], task["seed"], dev,
                       fusion=task["fusion"], teacher=shared["teacher"])
    s_train = time.time() - t1
    tab = failure_table(m, ds.x_test, ds.y_test, dev)
    K = m.K
    log.info("%s: all students %.4f; expected p=0.3 %.4f p=0.5 %.4f; half lost mean %.4f "
             "(%.0f s)", task["tag"], tab["acc_all"], tab["expected"]["0.3"],
             tab["expected"]["0.5"], tab["by_lost"][K // 2]["mean"], s_train)
    return m.cpu().eval(), tab, s_train


def export_variant(model, ds, models_dir, int8_dir, name, variant, K, relative):
    """ONNX export of one model, checked against PyTorch, with its reference outputs and its
    int8 QDQ version; returns the results entries that describe them."""
    mpath = models_dir / f"{name}_{variant}_k{K}.onnx"
    E.export_onnx(model, ds.input_shape, str(mpath))
    E.check_ops(str(mpath))
    br = E.student_branches(str(mpath))
    assert len(br) == K, f"expected {K} student branches, found {len(br)}"
    diff = E.verify(model, str(mpath), ds.x_test[:50])
    E.write_reference(str(mpath), ds.x_test[:1])
    entry = {"onnx": str(mpath.relative_to(REPO)) if relative else str(mpath),
             "onnx_bytes": os.path.getsize(mpath), "onnx_max_abs_diff": diff,
             "onnx_ops": E.ops_used(str(mpath)),
             "onnx_mean_nodes": len(E.mean_nodes(str(mpath)))}
    log.info("exported %s (%d bytes, max |diff| %.2e)", mpath, entry["onnx_bytes"], diff)
    q = Q.quantise_all([str(mpath)], ds.x_train, ds.x_test, ds.y_test,
                       out_dir=str(int8_dir), log=log.info)
    entry["int8"] = next(iter(q.values()))
    if relative:
        entry["int8"]["file"] = str(Path(entry["int8"]["file"]).relative_to(REPO))
    return entry


def run(cfg_path, meshnn=None, failout=None, ks=None, variants=None, out=None,
        subset=None, epochs=None, threads=2, export=True, command="", jobs=1):
    t_start = time.time()
    cfg = json.loads(Path(cfg_path).read_text())
    torch.set_num_threads(threads)
    dev = device()
    if jobs > 1 and dev.type != "cpu":
        log.info("--jobs %d ignored: training on %s runs in this process", jobs, dev)
        jobs = 1
    seed = cfg.get("seed", 0)
    np.random.seed(seed)
    name = cfg["dataset"]
    ds = D.load(name, seed=cfg.get("split_seed", 0))
    if subset:
        ds.x_train, ds.y_train = ds.x_train[:subset], ds.y_train[:subset]
        ds.x_test, ds.y_test = ds.x_test[:subset // 4], ds.y_test[:subset // 4]
    if epochs:
        cfg["teacher"]["epochs"] = epochs
        cfg["students"]["epochs"] = epochs
    if failout is not None:
        cfg["failout"] = failout
    out = Path(out) if out else HERE
    models_dir = (out / "models") if out != HERE else REPO / "tests" / "models"
    int8_dir = (models_dir / "int8" / "distilled") if out == HERE else (models_dir / "int8")
    results_dir, art_dir, run_dir = out / "results", out / "artifacts", out / "runs" / name
    for d in (models_dir, results_dir, art_dir, run_dir):
        d.mkdir(parents=True, exist_ok=True)

    # teacher (cached by config hash)
    key = cfg_hash({"t": cfg["teacher"], "d": name, "s": seed, "sub": subset,
                    "aug": cfg.get("augment_shift", 0)})
    tpath = run_dir / f"teacher_{key}.pt"
    dim = len(ds.input_shape) - 2
    t0 = time.time()
    if tpath.exists():
        teacher = Teacher(dim, ds.input_shape[1], ds.num_classes, tuple(cfg["teacher"]["widths"]))
        teacher.load_state_dict(torch.load(tpath))
        teacher = teacher.to(dev).eval()
        log.info("teacher loaded from %s", tpath)
        t_train_s = None
    else:
        log.info("training teacher %s", cfg["teacher"])
        teacher = train_teacher(ds, cfg, seed, dev)
        torch.save(teacher.state_dict(), tpath)
        t_train_s = time.time() - t0
    t_acc = teacher_accuracy(teacher, ds, dev)
    log.info("teacher test accuracy %.4f", t_acc)
    t_logits, t_maps = teacher_outputs(teacher, ds.x_train, dev)

    # filter activation network
    acts = t_maps.flatten(2).mean(2).numpy()
    gc = cfg.get("graph", {})
    adj = G.activation_network(acts, keep=gc.get("keep", 0.2), min_degree=gc.get("min_degree", 1))
    adj_path = art_dir / f"{name}_adjacency.npy"
    np.save(adj_path, adj)
    log.info("filter activation network: %d filters, %d edges -> %s", adj.shape[0],
             int(np.count_nonzero(np.triu(adj))), adj_path)

    res_path = results_dir / f"{name}.json"
    results = json.loads(res_path.read_text()) if res_path.exists() else {}
    results.update({"dataset": name, "data": ds.info, "config": str(cfg_path),
                    "teacher": {"acc": t_acc, "params": n_params(teacher),
                                "widths": cfg["teacher"]["widths"],
                                "train_seconds": t_train_s if t_train_s is not None else
                                (results.get("teacher") or {}).get("train_seconds"),
                                "last_conv_filters": int(adj.shape[0])},
                    "graph": {"keep": gc.get("keep", 0.2), "min_degree": gc.get("min_degree", 1),
                              "edges": int(np.count_nonzero(np.triu(adj))),
                              "file": str(adj_path.relative_to(REPO)) if out == HERE else str(adj_path)}})
    results.setdefault("partitions", {})
    results.setdefault("variants", {})

    r = cfg["students"].get("r", 2)
    parts = {K: partitions(adj, K, r, seed, meshnn, name, results, art_dir)
             for K in (ks or cfg["ks"])}
    plan = [(K, v) for K in parts for v in cfg["variants"]
            if not variants or v["name"] in variants]
    tasks = [student_task(cfg, K, v, parts[K], s) for K, v in plan
             for s in student_seeds(cfg, K, seed)]
    shared = {"ds": ds, "cfg": cfg, "t_logits": t_logits, "t_maps": t_maps,
              "teacher": teacher, "dev": dev}
    trained = W.map_tasks(train_and_evaluate, tasks, shared, jobs=jobs, threads=threads)
    for K, v in plan:
        q, fusion = variant_failout(cfg, v), v.get("fusion", "concat")
        vname = f"{v['name']}_k{K}"
        seeds = student_seeds(cfg, K, seed)
        per_seed = []
        for si, s_seed in enumerate(seeds):
            m, tab, s_train = next(trained)
            per_seed.append({"seed": s_seed, "train_seconds": s_train,
                             "acc_all": tab["acc_all"], "expected": tab["expected"],
                             "by_lost": [{k: b[k] for k in ("lost", "mean", "worst")}
                                         for b in tab["by_lost"]]})
            if si == 0:  # the first seed's model is the one exported
                model, table, train_s = m, tab, s_train
        entry = {"variant": v["name"], "K": K, "partition": v["partition"], "failout": q,
                 "fusion": fusion, "params": n_params(model),
                 "student_params": [n_params(s) for s in model.students],
                 "train_seconds": train_s, **table,
                 "seed": seeds[0], "seeds": per_seed, "seed_stats": seed_stats(per_seed)}
        if export:
            entry.update(export_variant(model, ds, models_dir, int8_dir, name, v["name"], K,
                                        relative=out == HERE))
        results["variants"][vname] = entry
        res_path.write_text(json.dumps(results, indent=1))

    if export:
        E.save_npz(str(models_dir / f"{name}_test.npz"), x=ds.x_test.astype(np.float32),
                   y=ds.y_test.astype(np.int64))
    results["runtime_seconds_last_run"] = time.time() - t_start
    results["command_last_run"] = command
    results["device"] = str(dev)
    results["threads"] = threads
    results["jobs"] = jobs
    res_path.write_text(json.dumps(results, indent=1))
    log.info("done in %.1f s -> %s", time.time() - t_start, res_path)
    return results
