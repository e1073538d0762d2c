//! Data movement kernels, Rust against C: copy_f32 (broadcast, reversed, transposed and
//! offset regions), pad_f32 (every mode, crops), fill_f32, gather_f32.
use meshnn_runtime::kernels::{
    copy_f32, fill_f32, gather_f32, pad_f32, CopyParams, GatherParams, PadParams, MAX_DIMS,
    PAD_CONSTANT, PAD_EDGE, PAD_REFLECT, PAD_WRAP,
};
use meshnn_runtime_diff::{assert_same, dims_array, Rng};

extern "C" {
    fn mn_copy_f32(p: *const CopyParams, x: *const f32, y: *mut f32);
    fn mn_pad_f32(p: *const PadParams, x: *const f32, y: *mut f32);
    fn mn_fill_f32(y: *mut f32, size: i32, value: f32);
    fn mn_gather_f32(p: *const GatherParams, x: *const f32, indices: *const i32, y: *mut f32);
}

const SENTINEL: f32 = 7.25;

fn run_copy(p: &CopyParams, x: &[f32], y_len: usize) -> (Vec<f32>, Vec<f32>) {
    let mut c = vec![SENTINEL; y_len];
    let mut r = vec![SENTINEL; y_len];
    // SAFETY: p addresses x and y within their lengths.
    unsafe { mn_copy_f32(p, x.as_ptr(), c.as_mut_ptr()) };
    copy_f32(p, x, &mut r);
    (r, c)
}

/// Strides and offset of a region of shape `dims` inside a buffer: stored in a random
/// axis order, inside a larger extent (padding around it), and, when `reuse` allows,
/// with broadcast (stride 0) and reversed (negative stride) axes. Returns the strides,
/// the offset of element (0, ..) and the buffer length.
fn region(rng: &mut Rng, dims: &[i32], reuse: bool) -> ([i32; MAX_DIMS], i32, usize) {
    let rank = dims.len();
    let extent: Vec<i32> = dims.iter().map(|&d| d + rng.int(0, 2)).collect();
    let perm = rng.permutation(rank);
    let mut strides = [0; MAX_DIMS];
    let mut stride = 1;
    for &d in perm.iter().rev() {
        strides[d] = stride;
        stride *= extent[d];
    }
    let mut offset = 0;
    for d in 0..rank {
        offset += rng.int(0, extent[d] - dims[d]) * strides[d];
        if reuse && rng.int(0, 3) == 0 {
            strides[d] = 0; // broadcast
        } else if rng.int(0, 3) == 0 && dims[d] > 0 {
            offset += (dims[d] - 1) * strides[d]; // reversed: start at the far end
            strides[d] = -strides[d];
        }
    }
    (strides, offset, stride.max(1) as usize)
}

#[test]
fn copy_equals_c_on_strided_regions() {
    let mut rng = Rng::new(21);
    for case in 0..600 {
        let rank = rng.int(0, 5) as usize;
        let empty = rng.int(0, 14) == 0;
        let dims: Vec<i32> = (0..rank)
            .map(|_| {
                if empty && rng.int(0, 1) == 0 {
                    0
                } else {
                    rng.int(1, 4)
                }
            })
            .collect();
        let (x_strides, x_offset, x_len) = region(&mut rng, &dims, true);
        let (y_strides, y_offset, y_len) = region(&mut rng, &dims, false);
        let p = CopyParams {
            rank: rank as i32,
            dims: dims_array(&dims),
            x_offset,
            x_strides,
            y_offset,
            y_strides,
        };
        let x = rng.values(x_len, 4.0);
        let (r, c) = run_copy(&p, &x, y_len);
        assert_same(&format!("copy case {case} {p:?}"), &r, &c);
    }
}

#[test]
fn copy_matches_hand_values() {
    // Transpose [2][3] -> [3][2], written at offset 1 of a 7-float buffer.
    let p = CopyParams {
        rank: 2,
        dims: dims_array(&[3, 2]),
        x_offset: 0,
        x_strides: dims_array(&[1, 3]),
        y_offset: 1,
        y_strides: dims_array(&[2, 1]),
    };
    let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let want = [SENTINEL, 1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
    let (r, c) = run_copy(&p, &x, 7);
    assert_same("transpose rust", &r, &want);
    assert_same("transpose c", &c, &want);
    // A reversed row (x[2], x[1], x[0]) and a broadcast one (x[1] three times).
    for (x_offset, xs, want) in [(2, -1, [3.0, 2.0, 1.0]), (1, 0, [2.0, 2.0, 2.0])] {
        let p = CopyParams {
            rank: 1,
            dims: dims_array(&[3]),
            x_offset,
            x_strides: dims_array(&[xs]),
            y_offset: 0,
            y_strides: dims_array(&[1]),
        };
        let (r, c) = run_copy(&p, &x, 3);
        assert_same("row rust", &r, &want);
        assert_same("row c", &c, &want);
    }
}

fn run_pad(p: &PadParams, x: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let n: i32 = p.y_dims[..p.rank as usize].iter().product();
    let mut c = vec![SENTINEL; n as usize + 1];
    let mut r = vec![SENTINEL; n as usize + 1];
    // SAFETY: x holds prod(x_dims) floats, y one more than prod(y_dims).
    unsafe { mn_pad_f32(p, x.as_ptr(), c.as_mut_ptr()) };
    pad_f32(p, x, &mut r);
    (r, c)
}

#[test]
fn pad_equals_c_for_every_mode_with_crops() {
    let mut rng = Rng::new(22);
    for mode in PAD_CONSTANT..=PAD_WRAP {
        for case in 0..150 {
            let rank = rng.int(0, 4) as usize;
            let mut p = PadParams {
                mode,
                rank: rank as i32,
                x_dims: [0; MAX_DIMS],
                y_dims: [0; MAX_DIMS],
                pads: [0; MAX_DIMS],
                value: rng.value(3.0),
            };
            for d in 0..rank {
                let n = rng.int(1, 4);
                // pads beyond the input length too (the modes repeat), negative ones crop
                let before = rng.int(-(n - 1), 2 * n);
                let after = rng.int(-(n - 1 + before.min(0)), 2 * n);
                p.x_dims[d] = n;
                p.pads[d] = before;
                p.y_dims[d] = (n + before + after).max(0);
            }
            let x = rng.values(p.x_dims[..rank].iter().product::<i32>() as usize, 4.0);
            let (r, c) = run_pad(&p, &x);
            assert_same(&format!("pad mode {mode} case {case} {p:?}"), &r, &c);
        }
    }
}

#[test]
fn pad_matches_hand_values() {
    // x = [1, 2, 3], two before and two after; numpy.pad gives these.
    let x = [1.0, 2.0, 3.0];
    for (mode, want) in [
        (PAD_CONSTANT, [9.0, 9.0, 1.0, 2.0, 3.0, 9.0, 9.0]),
        (PAD_REFLECT, [3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]),
        (PAD_EDGE, [1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 3.0]),
        (PAD_WRAP, [2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0]),
    ] {
        let p = PadParams {
            mode,
            rank: 1,
            x_dims: dims_array(&[3]),
            y_dims: dims_array(&[7]),
            pads: dims_array(&[2]),
            value: 9.0,
        };
        let (r, c) = run_pad(&p, &x);
        assert_same(&format!("pad mode {mode} rust"), &r[..7], &want);
        assert_same(&format!("pad mode {mode} c"), &c[..7], &want);
    }
    // Crop one column on the left, pad one constant row below: [[1, 2], [3, 4]] ->
    // [[2], [4], [0]].
    let p = PadParams {
        mode: PAD_CONSTANT,
        rank: 2,
        x_dims: dims_array(&[2, 2]),
        y_dims: dims_array(&[3, 1]),
        pads: dims_array(&[0, -1]),
        value: 0.0,
    };
    let (r, c) = run_pad(&p, &[1.0, 2.0, 3.0, 4.0]);
    assert_same("crop rust", &r[..3], &[2.0, 4.0, 0.0]);
    assert_same("crop c", &c[..3], &[2.0, 4.0, 0.0]);
}

#[test]
fn fill_equals_c() {
    let mut rng = Rng::new(23);
    for case in 0..300 {
        let size = rng.int(-2, 80);
        let value = rng.value(5.0);
        let mut c = vec![SENTINEL; 81];
        let mut r = vec![SENTINEL; 81];
        // SAFETY: c holds 81 >= size floats.
        unsafe { mn_fill_f32(c.as_mut_ptr(), size, value) };
        fill_f32(&mut r, size, value);
        assert_same(
            &format!("fill case {case} size {size} value {value}"),
            &r,
            &c,
        );
        let filled = size.max(0) as usize;
        assert!(r[..filled].iter().all(|v| v.to_bits() == value.to_bits()));
        assert!(r[filled..].iter().all(|&v| v == SENTINEL));
    }
}

fn run_gather(p: &GatherParams, x: &[f32], indices: &[i32]) -> (Vec<f32>, Vec<f32>) {
    let n = (p.outer * p.n_indices * p.inner) as usize + 1;
    let mut c = vec![SENTINEL; n];
    let mut r = vec![SENTINEL; n];
    // SAFETY: x holds outer * axis_len * inner floats, indices n_indices in range.
    unsafe { mn_gather_f32(p, x.as_ptr(), indices.as_ptr(), c.as_mut_ptr()) };
    gather_f32(p, x, indices, &mut r);
    (r, c)
}

#[test]
fn gather_equals_c_with_negative_indices() {
    let mut rng = Rng::new(24);
    for case in 0..400 {
        let p = GatherParams {
            outer: rng.int(0, 4),
            axis_len: rng.int(1, 6),
            inner: rng.int(0, 5),
            n_indices: rng.int(0, 7),
        };
        let indices: Vec<i32> = (0..p.n_indices)
            .map(|_| rng.int(-p.axis_len, p.axis_len - 1))
            .collect();
        let x = rng.values((p.outer * p.axis_len * p.inner) as usize, 4.0);
        let (r, c) = run_gather(&p, &x, &indices);
        assert_same(&format!("gather case {case} {p:?} {indices:?}"), &r, &c);
    }
}

#[test]
fn gather_matches_hand_values() {
    // x [2][3][1] = [[1, 2, 3], [4, 5, 6]], indices [2, -3, -1] along the middle axis.
    let p = GatherParams {
        outer: 2,
        axis_len: 3,
        inner: 1,
        n_indices: 3,
    };
    let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let (r, c) = run_gather(&p, &x, &[2, -3, -1]);
    let want = [3.0, 1.0, 3.0, 6.0, 4.0, 6.0];
    assert_same("gather rust", &r[..6], &want);
    assert_same("gather c", &c[..6], &want);
}
