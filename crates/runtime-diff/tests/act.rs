//! mn_act_store_f32 (C) against Act::store (Rust), every activation kind.
use meshnn_runtime::kernels::{Act, ACT_KINDS};
use meshnn_runtime_diff::{assert_close, Rng};

extern "C" {
    fn mn_act_store_f32(a: *const Act, src: *const f32, dst: *mut f32, n: i32);
}

#[test]
fn act_store_equals_c_for_every_kind() {
    let mut rng = Rng::new(7);
    for kind in 0..ACT_KINDS {
        let a = Act {
            kind,
            alpha: 0.3,
            lo: -0.5,
            hi: 0.75,
        };
        let src: Vec<f32> = rng.floats(257).iter().map(|v| v * 8.0).collect();
        let mut c = vec![0.0f32; src.len()];
        let mut r = vec![0.0f32; src.len()];
        // SAFETY: both buffers hold src.len() floats; a is a valid mn_act_t.
        unsafe { mn_act_store_f32(&a, src.as_ptr(), c.as_mut_ptr(), src.len() as i32) };
        a.store(&src, &mut r, src.len());
        assert_close(&format!("act kind {kind}"), &r, &c, 1e-6);
    }
}
