//! The normalisations (Rust) against their C twins: batchnorm, norm (layer, instance and
//! group: every affine_div, bias or none, the statistics outputs or none, empty blocks)
//! and softmax (softmax and log-softmax along the middle axis, large and infinite inputs),
//! on seeded random shapes; and each on one hand-calculated case.
use meshnn_runtime::kernels::{
    batchnorm_f32, norm_f32, softmax_f32, BatchnormParams, NormParams, SoftmaxParams,
};
use meshnn_runtime_diff::{assert_close, mut_ptr_or_null, ptr_or_null, Rng};

extern "C" {
    fn mn_batchnorm_f32(
        p: *const BatchnormParams,
        x: *const f32,
        scale: *const f32,
        bias: *const f32,
        mean: *const f32,
        var: *const f32,
        y: *mut f32,
    );
    fn mn_norm_f32(
        p: *const NormParams,
        x: *const f32,
        scale: *const f32,
        bias: *const f32,
        y: *mut f32,
        mean: *mut f32,
        inv_std: *mut f32,
    );
    fn mn_softmax_f32(p: *const SoftmaxParams, x: *const f32, y: *mut f32);
}

/// Same order of operations; expf / logf / sqrtf of libm and the C library may differ by
/// a few ulp.
const SAME_ORDER: f32 = 1e-6;

#[test]
fn batchnorm_equals_c() {
    let mut rng = Rng::new(41);
    for case in 0..400 {
        let p = BatchnormParams {
            n: rng.int(1, 3),
            channels: rng.int(1, 6),
            size: rng.int(0, 30),
            epsilon: [1e-5, 1e-3, 0.0][rng.int(0, 2) as usize],
        };
        let c = p.channels as usize;
        let len = (p.n * p.channels * p.size) as usize;
        let x: Vec<f32> = rng.floats(len).iter().map(|v| v * 10.0).collect();
        let (scale, bias, mean) = (rng.floats(c), rng.floats(c), rng.floats(c));
        let var: Vec<f32> = rng.floats(c).iter().map(|v| v.abs() + 0.01).collect();
        let mut rust = vec![f32::NAN; len];
        let mut c_y = rust.clone();
        batchnorm_f32(&p, &x, &scale, &bias, &mean, &var, &mut rust);
        // SAFETY: every buffer holds what p implies.
        unsafe {
            mn_batchnorm_f32(
                &p,
                x.as_ptr(),
                scale.as_ptr(),
                bias.as_ptr(),
                mean.as_ptr(),
                var.as_ptr(),
                c_y.as_mut_ptr(),
            )
        };
        assert_close(
            &format!("batchnorm case {case} {p:?}"),
            &rust,
            &c_y,
            SAME_ORDER,
        );
    }
}

/// Outputs of one norm call: y, then the optional mean and inv_std.
type NormOut = (Vec<f32>, Option<Vec<f32>>, Option<Vec<f32>>);

struct NormCase {
    p: NormParams,
    x: Vec<f32>,
    scale: Vec<f32>,
    bias: Option<Vec<f32>>,
    stats: bool,
}

impl NormCase {
    fn random(rng: &mut Rng) -> Self {
        let (outer, groups) = (rng.int(1, 4), rng.int(1, 4));
        // inner = channels of a group x spatial size; affine per element (LayerNorm), per
        // channel (divide by the spatial size) or per group (divide by inner).
        let (per_group, spatial) = (rng.int(1, 3), rng.int(0, 12));
        let inner = per_group * spatial;
        let affine_div = match rng.int(0, 2) {
            0 => 1,
            1 => spatial.max(1),
            _ => inner.max(1),
        };
        let p = NormParams {
            outer,
            groups,
            inner,
            affine_div,
            epsilon: [1e-5, 1e-2][rng.int(0, 1) as usize],
        };
        let affine = ((groups * inner - 1).max(0) / affine_div + 1) as usize;
        let x = rng
            .floats((outer * groups * inner) as usize)
            .iter()
            .map(|v| v * 5.0 + 1.0)
            .collect();
        NormCase {
            p,
            x,
            scale: rng.floats(affine),
            bias: (rng.int(0, 2) != 0).then(|| rng.floats(affine)),
            stats: rng.int(0, 1) == 1,
        }
    }

    fn outputs(&self) -> NormOut {
        let blocks = (self.p.outer * self.p.groups) as usize;
        let stat = || self.stats.then(|| vec![f32::NAN; blocks]);
        (vec![f32::NAN; self.x.len()], stat(), stat())
    }

    fn rust(&self) -> NormOut {
        let (mut y, mut mean, mut inv) = self.outputs();
        norm_f32(
            &self.p,
            &self.x,
            &self.scale,
            self.bias.as_deref(),
            &mut y,
            mean.as_deref_mut(),
            inv.as_deref_mut(),
        );
        (y, mean, inv)
    }

    fn c(&self) -> NormOut {
        let (mut y, mut mean, mut inv) = self.outputs();
        // SAFETY: every buffer holds what p implies; the optional ones are NULL or sized.
        unsafe {
            mn_norm_f32(
                &self.p,
                self.x.as_ptr(),
                self.scale.as_ptr(),
                ptr_or_null(self.bias.as_deref()),
                y.as_mut_ptr(),
                mut_ptr_or_null(mean.as_deref_mut()),
                mut_ptr_or_null(inv.as_deref_mut()),
            )
        };
        (y, mean, inv)
    }
}

#[test]
fn norm_equals_c() {
    let mut rng = Rng::new(42);
    for case in 0..500 {
        let n = NormCase::random(&mut rng);
        let (rust, c) = (n.rust(), n.c());
        let what = format!("norm case {case} {:?}", n.p);
        assert_close(&what, &rust.0, &c.0, SAME_ORDER);
        assert_eq!(rust.1.is_some(), n.stats);
        if let (Some(r), Some(k)) = (&rust.1, &c.1) {
            assert_close(&format!("{what} mean"), r, k, SAME_ORDER);
        }
        if let (Some(r), Some(k)) = (&rust.2, &c.2) {
            assert_close(&format!("{what} inv_std"), r, k, SAME_ORDER);
        }
    }
}

#[test]
fn softmax_equals_c() {
    let mut rng = Rng::new(43);
    for case in 0..500 {
        let p = SoftmaxParams {
            outer: rng.int(1, 4),
            axis_len: rng.int(1, 20),
            inner: rng.int(1, 5),
            log: rng.int(0, 1),
        };
        let len = (p.outer * p.axis_len * p.inner) as usize;
        let x: Vec<f32> = (0..len)
            .map(|_| match rng.int(0, 19) {
                0 => f32::NEG_INFINITY,
                1 => rng.float() * 1000.0,
                _ => rng.float() * 10.0,
            })
            .collect();
        let mut rust = vec![f32::NAN; len];
        let mut c = rust.clone();
        softmax_f32(&p, &x, &mut rust);
        // SAFETY: x and c hold what p implies.
        unsafe { mn_softmax_f32(&p, x.as_ptr(), c.as_mut_ptr()) };
        assert_close(&format!("softmax case {case} {p:?}"), &rust, &c, SAME_ORDER);
    }
}

/// x = [1, 2, 3]. By hand: batchnorm with mean 2, var 1, epsilon 0, scale 2, bias 1 is
/// (x - 2) * 2 + 1 = [-1, 1, 3]. Layer normalisation: mean 2, variance 2/3, 1 / sqrt(2/3)
/// = 1.2247449, so [-1.2247449, 0, 1.2247449]. Softmax: e^(x - 3) / (e^-2 + e^-1 + 1) =
/// [0.09003057, 0.24472847, 0.66524096]; log-softmax (x - 3) - ln(1.5032147) =
/// [-2.4076059, -1.4076059, -0.40760596].
#[test]
fn every_normalisation_computes_a_hand_calculated_case() {
    let x = [1.0f32, 2.0, 3.0];
    let mut y = [0.0f32; 3];
    let bn = BatchnormParams {
        n: 1,
        channels: 1,
        size: 3,
        epsilon: 0.0,
    };
    batchnorm_f32(&bn, &x, &[2.0], &[1.0], &[2.0], &[1.0], &mut y);
    assert_eq!(y, [-1.0, 1.0, 3.0]);
    let ln = NormParams {
        outer: 1,
        groups: 1,
        inner: 3,
        affine_div: 1,
        epsilon: 0.0,
    };
    let (mut mean, mut inv) = ([0.0f32], [0.0f32]);
    norm_f32(
        &ln,
        &x,
        &[1.0; 3],
        None,
        &mut y,
        Some(&mut mean),
        Some(&mut inv),
    );
    assert_close("layer norm", &y, &[-1.224_744_9, 0.0, 1.224_744_9], 1e-6);
    assert_close(
        "layer norm stats",
        &[mean[0], inv[0]],
        &[2.0, 1.224_744_9],
        1e-6,
    );
    let sm = SoftmaxParams {
        outer: 1,
        axis_len: 3,
        inner: 1,
        log: 0,
    };
    softmax_f32(&sm, &x, &mut y);
    assert_close(
        "softmax",
        &y,
        &[0.090_030_57, 0.244_728_47, 0.665_240_96],
        1e-6,
    );
    softmax_f32(&SoftmaxParams { log: 1, ..sm }, &x, &mut y);
    assert_close(
        "log-softmax",
        &y,
        &[-2.407_606, -1.407_606, -0.407_606],
        1e-6,
    );
}
