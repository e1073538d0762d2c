"""Teacher (small wide-ResNet-style CNN, 1-D or 2-D) and the distilled K-student model."""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F


def _conv(dim):
    return nn.Conv1d if dim == 1 else nn.Conv2d


def _bn(dim):
    return nn.BatchNorm1d if dim == 1 else nn.BatchNorm2d


class PreActBlock(nn.Module):
    """Wide-ResNet basic block (pre-activation): BN-ReLU-conv3-BN-ReLU-conv3 + shortcut."""

    def __init__(self, dim, cin, cout, stride):
        super().__init__()
        C, B = _conv(dim), _bn(dim)
        self.bn1, self.conv1 = B(cin), C(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = B(cout), C(cout, cout, 3, 1, 1, bias=False)
        self.short = None if (cin == cout and stride == 1) else C(cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        o = F.relu(self.bn1(x))
        y = self.conv1(o)
        y = self.conv2(F.relu(self.bn2(y)))
        return y + (x if self.short is None else self.short(o))


class Teacher(nn.Module):
    """stem conv (widths[0]) → one WRN block per further width, each stride 2 → BN-ReLU (the *last conv layer*'s
    activations, ``features``) → global average pool → linear."""

    def __init__(self, dim, in_ch, n_classes, widths=(16, 32, 64)):
        super().__init__()
        C, B = _conv(dim), _bn(dim)
        self.stem = C(in_ch, widths[0], 3, 1, 1, bias=False)
        blocks, cin = [], widths[0]
        for w in widths[1:]:
            blocks.append(PreActBlock(dim, cin, w, 2))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.bn = B(cin)
        self.fc = nn.Linear(cin, n_classes)
        self.n_filters = cin

    def features(self, x):
        return F.relu(self.bn(self.blocks(self.stem(x))))

    def forward(self, x):
        f = self.features(x)
        return self.fc(f.flatten(2).mean(2)), f


class Student(nn.Module):
    """conv3 s2 → conv3 s2 → conv3 (out = #teacher filters it reproduces), BN+ReLU each;
    ``forward`` returns (pooled feature vector [N, m], feature map)."""

    def __init__(self, dim, in_ch, out_ch, widths=(8, 16)):
        super().__init__()
        C, B = _conv(dim), _bn(dim)
        layers, cin = [], in_ch
        for w in widths:
            layers += [C(cin, w, 3, 2, 1, bias=False), B(w), nn.ReLU()]
            cin = w
        layers += [C(cin, out_ch, 3, 1, 1, bias=False), B(out_ch), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.dim = dim

    def forward(self, x):
        m = self.body(x)
        pooled = F.adaptive_avg_pool1d(m, 1) if self.dim == 1 else F.adaptive_avg_pool2d(m, 1)
        return torch.flatten(pooled, 1), m


class MeanOfCopies(torch.autograd.Function):
    """Element-wise mean of the copies of one filter group; exported as one ONNX ``Mean``
    node so that meshnn can average only the copies that arrive."""

    @staticmethod
    def forward(ctx, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out / len(xs)

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return tuple(g / len(n) for _ in n)

    @staticmethod
    def symbolic(g, *xs):
        return g.op("Mean", *xs)


class Distilled(nn.Module):
    """K student branches from the shared input + aggregator + linear classifier.

    ``assign`` = {"groups": [[filters]...], "students": [[group ids]...]} (partition.py).
    NoNN (every group in one student): classifier(Concat(student features)).
    resilient: per group g, Mean over the copies (slices of the students holding g), then
    Concat in group order, then the classifier.
    ``mask`` [N, K] (1 = student arrived) is for training (failout) and evaluation; missing
    students are zeroed (NoNN) or excluded from the Mean (resilient).

    ``fusion="late"`` (either partition): every student has its own linear head (its feature
    vector → class logits) and the hub averages the logits of the students that arrived:
    one ONNX ``Mean`` over the K students' logits, which meshnn's firmware evaluates over the
    inputs that arrived. With a mask, the mean is over the arrived students; all lost → 0.
    """

    def __init__(self, dim, in_ch, n_classes, assign, widths=(8, 16), resilient=False,
                 fusion="concat"):
        super().__init__()
        if fusion not in ("concat", "late"):
            raise ValueError(f"fusion must be 'concat' or 'late', not {fusion!r}")
        self.groups = [list(g) for g in assign["groups"]]
        self.student_groups = [list(s) for s in assign["students"]]
        self.resilient = resilient
        self.fusion = fusion
        sizes = [len(g) for g in self.groups]
        self.students = nn.ModuleList(
            Student(dim, in_ch, sum(sizes[g] for g in gs), widths) for gs in self.student_groups)
        # copies[g] = [(student, start, end)] of group g's slice in that student's vector
        self.copies = [[] for _ in self.groups]
        for s, gs in enumerate(self.student_groups):
            off = 0
            for g in gs:
                self.copies[g].append((s, off, off + sizes[g]))
                off += sizes[g]
        n_feat = sum(sizes) if resilient else sum(sizes[g] for gs in self.student_groups for g in gs)
        self.K = len(self.students)
        if fusion == "late":
            self.heads = nn.ModuleList(
                nn.Linear(sum(sizes[g] for g in gs), n_classes) for gs in self.student_groups)
        else:
            self.classifier = nn.Linear(n_feat, n_classes)

    def student_outputs(self, x):
        return [s(x) for s in self.students]

    def head_logits(self, feats):
        """Late fusion: each student's own logits [N, classes]."""
        return [h(f) for h, f in zip(self.heads, feats)]

    def fuse_logits(self, logits, mask=None):
        """Late fusion: mean of the logits of the students that arrived (all lost → 0)."""
        if mask is None:
            return MeanOfCopies.apply(*logits) if len(logits) > 1 else logits[0]
        num = sum(lo * mask[:, k:k + 1] for k, lo in enumerate(logits))
        cnt = mask.sum(1, keepdim=True)
        return num / cnt.clamp(min=1.0)

    def aggregate(self, feats, mask=None):
        if self.fusion == "late":
            return self.fuse_logits(self.head_logits(feats), mask)
        if not self.resilient:
            if mask is not None:
                feats = [f * mask[:, k:k + 1] for k, f in enumerate(feats)]
            return self.classifier(torch.cat(feats, 1))
        parts = []
        for cps in self.copies:
            if mask is None:
                xs = [feats[s][:, a:b] for s, a, b in cps]
                parts.append(MeanOfCopies.apply(*xs) if len(xs) > 1 else xs[0])
            else:
                num = sum(feats[s][:, a:b] * mask[:, s:s + 1] for s, a, b in cps)
                cnt = sum(mask[:, s:s + 1] for s, _, _ in cps)
                parts.append(num / cnt.clamp(min=1.0))
        return self.classifier(torch.cat(parts, 1))

    def forward(self, x, mask=None):
        feats = [f for f, _ in self.student_outputs(x)]
        return self.aggregate(feats, mask)


class ExportWrapper(nn.Module):
    """What goes into the ONNX file: students + aggregator + classifier, no teacher."""

    def __init__(self, model: Distilled):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)
