//! Arithmetic operators: elementwise (Binary, Variadic, Unary, Where), Softmax and Reduce. The
//! float formulas are the ones the C kernels compute at run time; integer arithmetic is
//! checked (overflow or division by zero: not evaluated).

use super::index::{bcast_map, index_map, pick, strides};
use super::Operands;
use crate::ir::{BinaryKind, DType, Data, ReduceKind, UnaryKind, VariadicKind};

/// An element type the arithmetic evaluators compute in.
trait Elem: Copy {
    const ZERO: Self;
    const ONE: Self;
    /// Identity of `larger` (the start of a Max reduction).
    const LOWEST: Self;
    /// Identity of `smaller` (the start of a Min reduction).
    const HIGHEST: Self;
    fn binary(k: BinaryKind, x: Self, y: Self) -> Option<Self>;
    /// The larger value; NaN when either is NaN (as onnxruntime's ReduceMax).
    fn larger(self, y: Self) -> Self;
    /// The smaller value; NaN when either is NaN.
    fn smaller(self, y: Self) -> Self;
    fn abs(self) -> Option<Self>;
    fn div_count(self, n: usize) -> Self;
    /// Float-only functions (`None` for integers).
    fn float_fn(self, f: fn(f32) -> f32) -> Option<Self>;
    /// log(exp(self) + exp(y)), float only.
    fn log_add_exp(self, y: Self) -> Option<Self>;
}

impl Elem for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    const LOWEST: f32 = f32::NEG_INFINITY;
    const HIGHEST: f32 = f32::INFINITY;
    fn binary(k: BinaryKind, x: f32, y: f32) -> Option<f32> {
        let truth = |b: bool| if b { 1.0 } else { 0.0 };
        let nan = x.is_nan() || y.is_nan();
        Some(match k {
            BinaryKind::Add => x + y,
            BinaryKind::Sub => x - y,
            BinaryKind::Mul => x * y,
            BinaryKind::Div => x / y,
            BinaryKind::Pow => x.powf(y),
            // Rust's float % is C fmod.
            BinaryKind::Mod { fmod: true } => x % y,
            BinaryKind::Mod { fmod: false } => {
                let r = x % y;
                if r != 0.0 && (r < 0.0) != (y < 0.0) {
                    r + y
                } else {
                    r
                }
            }
            BinaryKind::Min if nan => f32::NAN,
            BinaryKind::Min => x.min(y),
            BinaryKind::Max if nan => f32::NAN,
            BinaryKind::Max => x.max(y),
            BinaryKind::Equal => truth(x == y),
            BinaryKind::Less => truth(x < y),
            BinaryKind::LessOrEqual => truth(x <= y),
            BinaryKind::Greater => truth(x > y),
            BinaryKind::GreaterOrEqual => truth(x >= y),
            BinaryKind::And => truth(x != 0.0 && y != 0.0),
            BinaryKind::Or => truth(x != 0.0 || y != 0.0),
            BinaryKind::Xor => truth((x != 0.0) != (y != 0.0)),
        })
    }
    fn larger(self, y: f32) -> f32 {
        if self.is_nan() || y.is_nan() {
            f32::NAN
        } else {
            self.max(y)
        }
    }
    fn smaller(self, y: f32) -> f32 {
        if self.is_nan() || y.is_nan() {
            f32::NAN
        } else {
            self.min(y)
        }
    }
    fn abs(self) -> Option<f32> {
        Some(f32::abs(self))
    }
    fn div_count(self, n: usize) -> f32 {
        self / n as f32
    }
    fn float_fn(self, f: fn(f32) -> f32) -> Option<f32> {
        Some(f(self))
    }
    /// The running form the C kernel uses: max + log1p(exp(min - max)); -inf terms add
    /// nothing.
    fn log_add_exp(self, y: f32) -> Option<f32> {
        if y == f32::NEG_INFINITY {
            return Some(self);
        }
        let (hi, lo) = if y > self { (y, self) } else { (self, y) };
        Some(hi + (lo - hi).exp().ln_1p())
    }
}

impl Elem for i64 {
    const ZERO: i64 = 0;
    const ONE: i64 = 1;
    const LOWEST: i64 = i64::MIN;
    const HIGHEST: i64 = i64::MAX;
    fn binary(k: BinaryKind, x: i64, y: i64) -> Option<i64> {
        match k {
            BinaryKind::Add => x.checked_add(y),
            BinaryKind::Sub => x.checked_sub(y),
            BinaryKind::Mul => x.checked_mul(y),
            // Integer division truncates toward zero (as onnxruntime does).
            BinaryKind::Div => x.checked_div(y),
            // Negative exponents have no integer result: not evaluated.
            BinaryKind::Pow => x.checked_pow(u32::try_from(y).ok()?),
            BinaryKind::Mod { fmod: true } => x.checked_rem(y),
            BinaryKind::Mod { fmod: false } => python_mod(x, y),
            BinaryKind::Min => Some(x.min(y)),
            BinaryKind::Max => Some(x.max(y)),
            BinaryKind::Equal => Some((x == y) as i64),
            BinaryKind::Less => Some((x < y) as i64),
            BinaryKind::LessOrEqual => Some((x <= y) as i64),
            BinaryKind::Greater => Some((x > y) as i64),
            BinaryKind::GreaterOrEqual => Some((x >= y) as i64),
            BinaryKind::And => Some((x != 0 && y != 0) as i64),
            BinaryKind::Or => Some((x != 0 || y != 0) as i64),
            BinaryKind::Xor => Some(((x != 0) != (y != 0)) as i64),
        }
    }
    fn larger(self, y: i64) -> i64 {
        self.max(y)
    }
    fn smaller(self, y: i64) -> i64 {
        self.min(y)
    }
    fn abs(self) -> Option<i64> {
        self.checked_abs()
    }
    fn div_count(self, n: usize) -> i64 {
        self / n as i64
    }
    fn float_fn(self, _: fn(f32) -> f32) -> Option<i64> {
        None
    }
    fn log_add_exp(self, _: i64) -> Option<i64> {
        None
    }
}

/// `x mod y` with the sign of `y` (Python's `%`); `None` for y = 0 or overflow.
fn python_mod(x: i64, y: i64) -> Option<i64> {
    let r = x.checked_rem(y)?;
    Some(if r != 0 && (r < 0) != (y < 0) {
        r + y
    } else {
        r
    })
}

/// Every binary operator with numpy broadcasting; comparisons and logic give bool data
/// (int64 0 / 1, as `ir::Data` stores bool).
pub(super) fn binary(a: &Operands, kind: BinaryKind) -> Option<Vec<Data>> {
    let (x, y) = (a.inputs.first()?, a.inputs.get(1)?);
    let mx = bcast_map(&x.shape, &a.out.shape)?;
    let my = bcast_map(&y.shape, &a.out.shape)?;
    let r = zip_with(a.datas.first()?, a.datas.get(1)?, &mx, &my, kind)?;
    a.one(Some(if kind.is_bool_valued() {
        Data::I64(r.to_i64())
    } else {
        r
    }))
}

/// Where(condition, X, Y) with numpy broadcasting: X's element where condition is true.
pub(super) fn where_(a: &Operands) -> Option<Vec<Data>> {
    let maps = a
        .inputs
        .iter()
        .map(|t| bcast_map(&t.shape, &a.out.shape))
        .collect::<Option<Vec<_>>>()?;
    let [mc, mx, my] = maps.as_slice() else {
        return None;
    };
    let cond = pick(a.datas.first()?, mc, 0.0)?.to_i64();
    let x = pick(a.datas.get(1)?, mx, 0.0)?;
    let y = pick(a.datas.get(2)?, my, 0.0)?;
    a.one(match (&x, &y) {
        (Data::F32(x), Data::F32(y)) => Some(Data::F32(choose(&cond, x, y))),
        (Data::I64(x), Data::I64(y)) => Some(Data::I64(choose(&cond, x, y))),
        _ => None,
    })
}

/// `x[i]` where `cond[i]` is non-zero, else `y[i]`.
fn choose<T: Copy>(cond: &[i64], x: &[T], y: &[T]) -> Vec<T> {
    cond.iter()
        .zip(x.iter().zip(y))
        .map(|(&c, (&x, &y))| if c != 0 { x } else { y })
        .collect()
}

/// Sum, Mean, Min and Max over any number of inputs with numpy broadcasting.
pub(super) fn variadic(a: &Operands, kind: VariadicKind) -> Option<Vec<Data>> {
    let mut acc = None;
    for (t, d) in a.inputs.iter().zip(&a.datas) {
        let m = bcast_map(&t.shape, &a.out.shape)?;
        let spread = pick(d, &m, 0.0)?;
        acc = Some(match acc {
            None => spread,
            Some(sum) => {
                let id: Vec<Option<usize>> = (0..a.out.numel()).map(Some).collect();
                zip_with(&sum, &spread, &id, &id, kind.combine())?
            }
        });
    }
    let acc = acc?;
    match kind {
        VariadicKind::Sum | VariadicKind::Min | VariadicKind::Max => Some(vec![acc]),
        VariadicKind::Mean => {
            let n = a.inputs.len();
            Some(vec![match acc {
                Data::F32(v) => Data::F32(v.iter().map(|x| x.div_count(n)).collect()),
                Data::I64(v) => Data::I64(v.iter().map(|x| x.div_count(n)).collect()),
            }])
        }
    }
}

/// Float32; Neg, Abs, Sign and Not also on int64 (and bool) data.
pub(super) fn unary(a: &Operands, u: UnaryKind) -> Option<Vec<Data>> {
    let r = match a.x()? {
        Data::F32(v) => Data::F32(v.iter().map(|&x| unary_value(u, x)).collect()),
        Data::I64(v) => Data::I64(v.iter().map(|&x| unary_int(u, x)).collect::<Option<_>>()?),
    };
    a.one(Some(r))
}

/// The integer unary operators; `None` for the others (or overflow).
fn unary_int(u: UnaryKind, x: i64) -> Option<i64> {
    match u {
        UnaryKind::Neg => x.checked_neg(),
        UnaryKind::Abs => x.checked_abs(),
        UnaryKind::Sign => Some(x.signum()),
        UnaryKind::Not => Some((x == 0) as i64),
        _ => None,
    }
}

/// Clip with bound operands: X, then min if `has_min`, then max if `has_max`.
pub(super) fn clip_range(a: &Operands, has_min: bool, has_max: bool) -> Option<Vec<Data>> {
    let bound = |present: bool, i: usize, default: f32| -> Option<f32> {
        if !present {
            return Some(default);
        }
        match a.datas.get(i)? {
            Data::F32(v) => v.first().copied(),
            Data::I64(_) => None,
        }
    };
    let min = bound(has_min, 1, f32::NEG_INFINITY)?;
    let max = bound(has_max, 1 + usize::from(has_min), f32::INFINITY)?;
    unary(a, UnaryKind::Clip { min, max })
}

/// The float formula of `u`, as `mn_unary_f32` computes it.
pub(super) fn unary_value(u: UnaryKind, x: f32) -> f32 {
    match u {
        // Comparisons, not f32::max/min/clamp (which return the non-NaN operand): NaN stays
        // NaN, as in onnxruntime and mn_unary_f32.
        UnaryKind::Relu => {
            if x < 0.0 {
                0.0
            } else {
                x
            }
        }
        UnaryKind::LeakyRelu { alpha } => {
            if x >= 0.0 {
                x
            } else {
                alpha * x
            }
        }
        UnaryKind::Clip { min, max } => {
            let v = if x < min { min } else { x };
            if v > max {
                max
            } else {
                v
            }
        }
        UnaryKind::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        UnaryKind::Tanh => x.tanh(),
        UnaryKind::HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
        UnaryKind::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
        UnaryKind::Swish { alpha } => x / (1.0 + (-alpha * x).exp()),
        UnaryKind::Sqrt => x.sqrt(),
        UnaryKind::Erf => erf(x as f64) as f32,
        UnaryKind::Reciprocal => 1.0 / x,
        UnaryKind::Neg => -x,
        UnaryKind::Abs => x.abs(),
        UnaryKind::Exp => x.exp(),
        UnaryKind::Log => x.ln(),
        UnaryKind::Sin => x.sin(),
        UnaryKind::Cos => x.cos(),
        UnaryKind::Floor => x.floor(),
        UnaryKind::Ceil => x.ceil(),
        UnaryKind::Round => x.round_ties_even(),
        UnaryKind::Sign => sign(x),
        UnaryKind::Softplus => softplus(x),
        UnaryKind::Mish => x * softplus(x).tanh(),
        UnaryKind::Gelu { tanh: false } => {
            0.5 * x * (1.0 + erf(x as f64 / std::f64::consts::SQRT_2) as f32)
        }
        UnaryKind::Gelu { tanh: true } => {
            let k = (2.0 / std::f32::consts::PI).sqrt();
            0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
        }
        UnaryKind::Elu { alpha } => {
            if x >= 0.0 {
                x
            } else {
                alpha * x.exp_m1()
            }
        }
        UnaryKind::Selu { alpha, gamma } => {
            if x > 0.0 {
                gamma * x
            } else {
                gamma * alpha * x.exp_m1()
            }
        }
        UnaryKind::Softsign => x / (1.0 + x.abs()),
        UnaryKind::Not => (x == 0.0) as i32 as f32,
    }
}

/// -1, 0 or 1; NaN stays NaN.
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// log(1 + exp(x)) without overflow for large x.
fn softplus(x: f32) -> f32 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// The error function (Rust's std has none): the complementary function's Chebyshev fit
/// of Numerical Recipes (`erfcc`, relative error below 1.2e-7), far below float32 needs.
fn erf(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - erfc
    } else {
        erfc - 1.0
    }
}

/// Softmax and LogSoftmax (float32), max-subtracted; `coerce_2d`: opset < 13 semantics.
pub(super) fn softmax(a: &Operands, axis: usize, log: bool, coerce_2d: bool) -> Option<Vec<Data>> {
    let Data::F32(v) = a.x()? else { return None };
    let t = a.t()?;
    let outer: usize = t.shape.get(..axis)?.iter().product();
    let (n, inner) = if coerce_2d {
        (t.shape.get(axis..)?.iter().product::<usize>(), 1)
    } else {
        (
            *t.shape.get(axis)?,
            t.shape.get(axis + 1..)?.iter().product::<usize>(),
        )
    };
    let mut r = v.clone();
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| (o * n + k) * inner + i;
            let m = (0..n).map(|k| v[at(k)]).fold(f32::NEG_INFINITY, f32::max);
            let s: f32 = (0..n).map(|k| (v[at(k)] - m).exp()).sum();
            for k in 0..n {
                r[at(k)] = if log {
                    v[at(k)] - m - s.ln()
                } else {
                    (v[at(k)] - m).exp() / s
                };
            }
        }
    }
    a.one(Some(Data::F32(r)))
}

/// Every ReduceKind over `axes` (the output's shape already reflects keepdims).
pub(super) fn reduce(a: &Operands, kind: ReduceKind, axes: &[usize]) -> Option<Vec<Data>> {
    let t = a.t()?;
    let kept: Vec<usize> = t
        .shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect();
    let n_out: usize = kept.iter().product();
    if n_out != a.out.numel() {
        return None;
    }
    let count: usize = axes
        .iter()
        .map(|&k| t.shape.get(k).copied())
        .product::<Option<usize>>()?;
    let kst = strides(&kept);
    let dst = index_map(&t.shape, |i| {
        Some(
            i.iter()
                .zip(&kept)
                .zip(&kst)
                .map(|((&i, &k), &s)| if k == 1 { 0 } else { i * s })
                .sum(),
        )
    });
    Some(vec![match a.x()? {
        Data::F32(v) => Data::F32(reduce_elems(v, &dst, n_out, kind, count)?),
        Data::I64(v) => {
            let mut r = reduce_elems(v, &dst, n_out, kind, count)?;
            if a.out.dtype == DType::Bool {
                // The Max of an empty bool set is false, not int64's lowest value.
                r.iter_mut().for_each(|x| *x = (*x).max(0));
            }
            Data::I64(r)
        }
    }])
}

/// Accumulates `v[i]` into output `dst[i]`, then finishes each output (Mean divides by
/// `count`, L2 takes the square root, LogSum the logarithm).
fn reduce_elems<T: Elem>(
    v: &[T],
    dst: &[Option<usize>],
    n_out: usize,
    kind: ReduceKind,
    count: usize,
) -> Option<Vec<T>> {
    let mut r = vec![reduce_start::<T>(kind); n_out];
    for (val, d) in v.iter().zip(dst) {
        let o = r.get_mut((*d)?)?;
        *o = reduce_step(kind, *o, *val)?;
    }
    r.into_iter()
        .map(|x| match kind {
            ReduceKind::Mean => Some(x.div_count(count.max(1))),
            ReduceKind::L2 => x.float_fn(f32::sqrt),
            ReduceKind::LogSum => x.float_fn(f32::ln),
            _ => Some(x),
        })
        .collect()
}

/// The value a reduction starts from (its result over no elements, before finishing).
fn reduce_start<T: Elem>(kind: ReduceKind) -> T {
    match kind {
        ReduceKind::Max | ReduceKind::LogSumExp => T::LOWEST,
        ReduceKind::Min => T::HIGHEST,
        ReduceKind::Prod => T::ONE,
        _ => T::ZERO,
    }
}

/// One element `x` folded into the running value `acc`.
fn reduce_step<T: Elem>(kind: ReduceKind, acc: T, x: T) -> Option<T> {
    let add = |y| T::binary(BinaryKind::Add, acc, y);
    match kind {
        ReduceKind::Mean | ReduceKind::Sum | ReduceKind::LogSum => add(x),
        ReduceKind::SumSquare | ReduceKind::L2 => add(T::binary(BinaryKind::Mul, x, x)?),
        ReduceKind::L1 => add(x.abs()?),
        ReduceKind::Prod => T::binary(BinaryKind::Mul, acc, x),
        ReduceKind::Max => Some(acc.larger(x)),
        ReduceKind::Min => Some(acc.smaller(x)),
        ReduceKind::LogSumExp => acc.log_add_exp(x),
    }
}

/// `k` applied to `a[ma[i]]` and `b[mb[i]]` for every output element; `None` on mixed
/// element types, an index out of range or integer overflow.
fn zip_with(
    a: &Data,
    b: &Data,
    ma: &[Option<usize>],
    mb: &[Option<usize>],
    k: BinaryKind,
) -> Option<Data> {
    Some(match (a, b) {
        (Data::F32(a), Data::F32(b)) => Data::F32(zip_elems(a, b, ma, mb, k)?),
        (Data::I64(a), Data::I64(b)) => Data::I64(zip_elems(a, b, ma, mb, k)?),
        _ => return None,
    })
}

fn zip_elems<T: Elem>(
    a: &[T],
    b: &[T],
    ma: &[Option<usize>],
    mb: &[Option<usize>],
    k: BinaryKind,
) -> Option<Vec<T>> {
    ma.iter()
        .zip(mb)
        .map(|(i, j)| T::binary(k, *a.get((*i)?)?, *b.get((*j)?)?))
        .collect()
}
