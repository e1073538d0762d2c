"""distill/RESULTS.md from distill/results/<dataset>.json (``python -m distill report``)."""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["nonn", "nonn_failout", "resilient", "resilient_failout", "nonn_latefusion_failout",
         "resilient_latefusion_failout"]
P_LOSS = ["0.0", "0.1", "0.2", "0.3", "0.5"]


def pct(x):
    return f"{100 * x:.1f}"


def dataset_section(res):
    out = []
    name = res["dataset"]
    t = res["teacher"]
    d = res["data"]
    out.append(f"## {name}\n")
    out.append(f"- data: {d['source']}; {d['n_train']} train / {d['n_test']} test"
               + (f"; stratified split seed {d['split_seed']}" if "split_seed" in d else "")
               + f"; {d['scaling']}")
    ts = t.get("train_seconds")
    out.append(f"- **teacher** (wide-ResNet-style, widths {t['widths']}, {t['params']:,} params): "
               f"test accuracy **{pct(t['acc'])} %**"
               + (f" (trained in {ts:.0f} s)" if ts else ""))
    g = res["graph"]
    out.append(f"- filter activation network over the teacher's last conv layer: "
               f"{t['last_conv_filters']} filters, {g['edges']} edges kept (top {g['keep']:.0%} "
               f"+ each filter's strongest), `{g['file']}`")
    if res.get("runtime_seconds_last_run"):
        out.append(f"- last run: `{res.get('command_last_run', '')}` took "
                   f"{res['runtime_seconds_last_run'] / 60:.1f} min on {res.get('device')} "
                   f"with {res.get('jobs', 1)} worker process(es) of {res.get('threads')} "
                   f"thread(s)")
    out.append("")
    out.append("Partitions (community step source: `meshnn` = `meshnn cluster`, `fallback` = "
               "networkx/numpy, see README):\n")
    out.append("| partition | K | source | group sizes | filters per student | modularity Q |")
    out.append("| --- | ---: | --- | --- | --- | ---: |")
    for key, p in sorted(res["partitions"].items(), key=lambda kv: (kv[1]["K"], kv[0])):
        sizes = [len(g) for g in p["groups"]]
        per = sorted({sum(sizes[g] for g in gs) for gs in p["students"]})
        out.append(f"| {p['method']} | {p['K']} | {p['source']} | {sizes} | "
                   f"{per if len(per) > 1 else per[0]} | {p['modularity']:.3f} |")
    out.append("")
    variants = res["variants"]
    for K in sorted({v["K"] for v in variants.values()}):
        vs = [variants[f"{n}_k{K}"] for n in ORDER if f"{n}_k{K}" in variants]
        vs += [v for k, v in sorted(variants.items())
               if v["K"] == K and v["variant"] not in ORDER]
        out.append(f"### {name}, K = {K}\n")
        out.extend(loss_tables(vs, K))
        out.extend(seed_table(vs, K))
        out.extend(int8_table(vs))
        lines = []
        for v in vs:
            if "onnx" in v:
                lines.append(f"`{v['onnx']}` ({v['onnx_bytes']:,} bytes, onnxruntime vs torch "
                             f"max |diff| {v['onnx_max_abs_diff']:.1e}, {v['onnx_mean_nodes']} "
                             f"Mean nodes, trained in {v['train_seconds']:.0f} s)")
        if lines:
            out.append("Models: " + "; ".join(lines) + ".\n")
    return "\n".join(out)


def measured(v):
    """The per-pattern numbers of a variant: meshnn's firmware when ``python -m distill
    patterns`` measured it, else PyTorch's; and which it is."""
    if "meshnn_patterns" in v:
        return v["meshnn_patterns"], "meshnn"
    return v, "PyTorch"


def loss_tables(vs, K):
    """Accuracy by number of lost students and expected accuracy under independent loss."""
    out = ["Accuracy (%) by number of lost students: mean / worst over which ones "
           "(0 lost = all students present). Source `meshnn` = `meshnn simulate --loss-model "
           "patterns` on `examples/nonn_wearables/deploy_k" + str(K) + ".toml` (one student "
           "per wearable, the hub senses nothing; every test sample under every pattern, "
           "through the generated firmware); Δ = largest |meshnn − PyTorch| over this row "
           "and the expected accuracies (pp).\n",
           "| variant | failout q | params | ONNX | source | Δ pp | " + " | ".join(
               f"{j} lost" for j in range(K + 1)) + " |",
           "| --- | ---: | ---: | ---: | --- | ---: |" + " ---: |" * (K + 1)]
    for v in vs:
        m, src = measured(v)
        cells = [pct(b["mean"]) if b["patterns"] == 1
                 else f"{pct(b['mean'])} / {pct(b['worst'])}" for b in m["by_lost"]]
        size = f"{v['onnx_bytes'] / 1024:.0f} KB" if "onnx_bytes" in v else "-"
        delta = f"{100 * m['max_diff_vs_pytorch']:.2f}" if src == "meshnn" else "-"
        out.append(f"| {v['variant']} | {v['failout']:.2f} | {v['params']:,} | {size} | "
                   f"{src} | {delta} | " + " | ".join(cells) + " |")
    out += ["", "Expected accuracy (%) under independent per-student loss p "
            "(all 2^K patterns weighted by probability):\n",
            "| variant | source | " + " | ".join(f"p = {p}" for p in P_LOSS) + " |",
            "| --- | --- |" + " ---: |" * len(P_LOSS)]
    for v in vs:
        m, src = measured(v)
        exp = dict(m["expected"], **{"0.0": m["by_lost"][0]["mean"]})
        out.append(f"| {v['variant']} | {src} | "
                   + " | ".join(pct(exp[p]) if p in exp else "-" for p in P_LOSS) + " |")
    out.append("")
    for v in vs:
        if "meshnn_patterns" in v:
            out.append(f"`{v['variant']}`: `{v['meshnn_patterns']['command']}`  ")
    out.append("")
    return out


def seed_table(vs, K):
    """Mean ± std over the student seeds (same teacher, partition and data split)."""
    ss = [v for v in vs if v.get("seed_stats")]
    if not ss:
        return []
    h = K // 2

    def f(m):
        return f"{100 * m['mean']:.1f} ± {100 * m['std']:.1f}"
    out = [f"Mean ± std over student seeds (the tables above are the first seed, the exported "
           f"model; the teacher and the partitions are the same for every seed):\n",
           f"| variant | fusion | seeds | 0 lost | {h} lost mean | {h} lost worst | "
           f"p = 0.1 | p = 0.3 | p = 0.5 |",
           "| --- | --- | --- |" + " ---: |" * 6]
    for v in ss:
        st = v["seed_stats"]
        seeds = ", ".join(str(r["seed"]) for r in v["seeds"])
        out.append(f"| {v['variant']} | {v.get('fusion', 'concat')} | {seeds} | "
                   f"{f(st['acc_all'])} | {f(st['by_lost_mean'][h])} | "
                   f"{f(st['by_lost_worst'][h])} | {f(st['expected']['0.1'])} | "
                   f"{f(st['expected']['0.3'])} | {f(st['expected']['0.5'])} |")
    out.append("")
    return out


def int8_table(vs):
    """The int8 rows: accuracy (%) of each model's QDQ version, all students present."""
    qs = [(v, v["int8"]) for v in vs if "int8" in v]
    if not qs:
        return []
    n = qs[0][1]["calib_samples"]
    out = [f"int8 (`python -m distill quantize`: onnxruntime's `quantize_static`, QDQ, "
           f"per-channel int8 weights, int8 activations, MinMax over the first {n} training "
           f"samples): test accuracy (%) with all students present, under onnxruntime and "
           f"compiled by meshnn for one device (host build, every test sample); agreement = "
           f"same top-1 class as the float model.\n",
           "| variant | int8 ONNX | float (ort) | int8 (ort) | agreement (ort) | "
           "float (meshnn) | int8 (meshnn) | agreement (meshnn) | int8 − float (meshnn, pp) |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for v, q in qs:
        cells = [pct(q["acc_float_ort"]), pct(q["acc_int8_ort"]), pct(q["top1_agreement_ort"])]
        if "acc_int8_meshnn" in q:
            cells += [pct(q["acc_float_meshnn"]), pct(q["acc_int8_meshnn"]),
                      pct(q["top1_agreement_meshnn"]),
                      f"{100 * (q['acc_int8_meshnn'] - q['acc_float_meshnn']):+.1f}"]
        else:
            cells += ["-"] * 4
        out.append(f"| {v['variant']} | {q['bytes'] / 1024:.0f} KB | " + " | ".join(cells) + " |")
    out.append("")
    return out


def write_report(results_dir, output):
    files = sorted(Path(results_dir).glob("*.json"))
    order = {"mnist": 0, "gesture": 1, "basicmotions": 2}
    res = sorted((json.loads(f.read_text()) for f in files),
                 key=lambda r: order.get(r["dataset"], 9))
    parts = ["# distill: NoNN vs communication-failure-resilient students — results\n",
             "Generated by `python -m distill report` from `distill/results/*.json`, which "
             "`python -m distill all` (or one `python -m distill run CONFIG` per dataset) "
             "writes. Missing students are zeroed (NoNN) or excluded from the per-group `Mean` "
             "(resilient; a group whose copies are all lost contributes zeros); late fusion "
             "(`*_latefusion_*`: a linear head per student, the hub averages the logits "
             "of the students that arrived, one ONNX `Mean`; all lost gives zeros). The "
             "per-pattern tables are test-set accuracy of the exported model (the first "
             "student seed); the mean ± std tables are over all student seeds.\n"]
    for r in res:
        parts.append(dataset_section(r))
    disc = HERE / "DISCUSSION.md"
    if disc.exists():
        parts.append(disc.read_text())
    Path(output).write_text("\n".join(parts).rstrip() + "\n")
    return output
