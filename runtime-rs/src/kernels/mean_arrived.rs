//! Mean over the copies of a tensor that arrived (redundant execution): the twin of
//! runtime-c/src/mn_mean_arrived_f32.c (contract: `mn_mean_arrived_f32` in
//! runtime-c/include/mn_kernels.h).

/// Parameters of [`mean_arrived_f32`] (`mn_mean_arrived_params_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanArrivedParams {
    /// Number of copies.
    pub n: i32,
    /// Elements of each copy.
    pub size: i32,
}

/// `y[i] = sum over arrived copies k of xs[k][i] / (number arrived)`; when none arrived,
/// the mean of all copies (their fallback values) (`mn_mean_arrived_f32`). Sums in copy
/// order, as C does, so results are the same bit for bit.
pub fn mean_arrived_f32(p: &MeanArrivedParams, xs: &[&[f32]], arrived: &[i32], y: &mut [f32]) {
    let (xs, arrived) = (&xs[..p.n.max(0) as usize], &arrived[..p.n.max(0) as usize]);
    let y = &mut y[..p.size.max(0) as usize];
    let count = arrived.iter().filter(|&&a| a != 0).count();
    let use_all = count == 0;
    let scale = 1.0 / (if use_all { xs.len() } else { count }) as f32;
    y.fill(0.0);
    for (x, &a) in xs.iter().zip(arrived) {
        if use_all || a != 0 {
            let x = &x[..y.len()];
            for (acc, &v) in y.iter_mut().zip(x) {
                *acc += v;
            }
        }
    }
    for v in y.iter_mut() {
        *v *= scale;
    }
}
