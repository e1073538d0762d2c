//! Recurrent kernels, Rust against C: rnn_f32, gru_f32 (both reset forms), lstm_f32
//! (peepholes), over both layouts, both directions, reverse, absent biases, initial
//! states and outputs. Rust sums each dot product in 8 lanes, C in order: results agree
//! to a relative 1e-5.
use meshnn_runtime::kernels::{gru_f32, lstm_f32, rnn_f32, rnn_scratch_floats, RnnParams};
use meshnn_runtime_diff::{assert_close, Rng};
use std::ptr;

extern "C" {
    fn mn_rnn_f32(
        p: *const RnnParams,
        x: *const f32,
        w: *const f32,
        r: *const f32,
        b: *const f32,
        h0: *const f32,
        y: *mut f32,
        y_h: *mut f32,
        scratch: *mut f32,
    );
    fn mn_gru_f32(
        p: *const RnnParams,
        x: *const f32,
        w: *const f32,
        r: *const f32,
        b: *const f32,
        h0: *const f32,
        y: *mut f32,
        y_h: *mut f32,
        scratch: *mut f32,
    );
    fn mn_lstm_f32(
        p: *const RnnParams,
        x: *const f32,
        w: *const f32,
        r: *const f32,
        b: *const f32,
        h0: *const f32,
        c0: *const f32,
        peep: *const f32,
        y: *mut f32,
        y_h: *mut f32,
        y_c: *mut f32,
        scratch: *mut f32,
    );
}

const SENTINEL: f32 = 7.25;
const TOL: f32 = 1e-5;

/// The operands of one recurrent call; `None` is an absent (NULL) one.
struct Case {
    p: RnnParams,
    gates: i32,
    x: Vec<f32>,
    w: Vec<f32>,
    r: Vec<f32>,
    b: Option<Vec<f32>>,
    h0: Option<Vec<f32>>,
    c0: Option<Vec<f32>>,
    peep: Option<Vec<f32>>,
    /// Which of y, y_h, y_c the call computes.
    outputs: [bool; 3],
}

/// Outputs y, y_h, y_c (empty where not computed).
type Outputs = [Vec<f32>; 3];

impl Case {
    fn random(rng: &mut Rng, gates: i32) -> Case {
        let dirs = rng.int(1, 2);
        let p = RnnParams {
            seq: rng.int(0, 5),
            batch: rng.int(1, 3),
            // past 8 and 16 too: the lanes of the dot product and their remainder
            input: rng.int(1, 19),
            hidden: rng.int(1, 18),
            dirs,
            reverse: if dirs == 1 { rng.int(0, 1) } else { 0 },
            batch_first: rng.int(0, 1),
            linear_before_reset: rng.int(0, 1),
        };
        let (g, n) = (gates, p.hidden);
        let state = (dirs * p.batch * n) as usize;
        let maybe =
            |len: i32, rng: &mut Rng| (rng.int(0, 3) != 0).then(|| rng.floats(len as usize));
        Case {
            x: rng.floats((p.seq * p.batch * p.input) as usize),
            w: rng.floats((dirs * g * n * p.input) as usize),
            r: rng.floats((dirs * g * n * n) as usize),
            b: maybe(dirs * 2 * g * n, rng),
            h0: maybe(state as i32, rng),
            c0: maybe(state as i32, rng),
            peep: maybe(dirs * 3 * n, rng),
            outputs: [rng.int(0, 3) != 0, rng.int(0, 3) != 0, rng.int(0, 3) != 0],
            gates,
            p,
        }
    }

    fn lens(&self) -> [usize; 3] {
        let p = &self.p;
        let state = (p.dirs * p.batch * p.hidden) as usize;
        [(p.seq as usize) * state, state, state]
    }

    /// Output buffers (sentinel-filled) for the computed outputs, empty for the others.
    fn buffers(&self) -> Outputs {
        let lens = self.lens();
        core::array::from_fn(|i| vec![SENTINEL; if self.outputs[i] { lens[i] } else { 0 }])
    }

    fn scratch(&self) -> Vec<f32> {
        vec![SENTINEL; rnn_scratch_floats(self.gates, self.p.hidden) as usize]
    }

    fn run_c(&self) -> Outputs {
        let mut out = self.buffers();
        let mut scratch = self.scratch();
        let opt = |v: &Option<Vec<f32>>| v.as_ref().map_or(ptr::null(), |v| v.as_ptr());
        let [y, y_h, y_c] = &mut out;
        let outp = |v: &mut Vec<f32>, on| if on { v.as_mut_ptr() } else { ptr::null_mut() };
        let (y, y_h, y_c) = (
            outp(y, self.outputs[0]),
            outp(y_h, self.outputs[1]),
            outp(y_c, self.outputs[2]),
        );
        let (p, x, w, r, s) = (
            &self.p,
            self.x.as_ptr(),
            self.w.as_ptr(),
            self.r.as_ptr(),
            scratch.as_mut_ptr(),
        );
        // SAFETY: every buffer is sized for p as mn_kernels.h documents; absent ones are
        // NULL, which the kernels allow.
        unsafe {
            match self.gates {
                1 => mn_rnn_f32(p, x, w, r, opt(&self.b), opt(&self.h0), y, y_h, s),
                3 => mn_gru_f32(p, x, w, r, opt(&self.b), opt(&self.h0), y, y_h, s),
                _ => mn_lstm_f32(
                    p,
                    x,
                    w,
                    r,
                    opt(&self.b),
                    opt(&self.h0),
                    opt(&self.c0),
                    opt(&self.peep),
                    y,
                    y_h,
                    y_c,
                    s,
                ),
            }
        }
        out
    }

    fn run_rust(&self) -> Outputs {
        let mut out = self.buffers();
        let mut scratch = self.scratch();
        let [y, y_h, y_c] = &mut out;
        let on = self.outputs;
        let y = on[0].then_some(&mut y[..]);
        let y_h = on[1].then_some(&mut y_h[..]);
        let y_c = on[2].then_some(&mut y_c[..]);
        let (p, x, w, r) = (&self.p, &self.x[..], &self.w[..], &self.r[..]);
        let (b, h0) = (self.b.as_deref(), self.h0.as_deref());
        match self.gates {
            1 => rnn_f32(p, x, w, r, b, h0, y, y_h, &mut scratch),
            3 => gru_f32(p, x, w, r, b, h0, y, y_h, &mut scratch),
            _ => lstm_f32(
                p,
                x,
                w,
                r,
                b,
                h0,
                self.c0.as_deref(),
                self.peep.as_deref(),
                y,
                y_h,
                y_c,
                &mut scratch,
            ),
        }
        out
    }

    fn check(&self, what: &str) {
        let (r, c) = (self.run_rust(), self.run_c());
        for (i, name) in ["y", "y_h", "y_c"].iter().enumerate() {
            assert_close(&format!("{what} {name} {:?}", self.p), &r[i], &c[i], TOL);
        }
    }
}

#[test]
fn rnn_equals_c() {
    let mut rng = Rng::new(41);
    for case in 0..300 {
        Case::random(&mut rng, 1).check(&format!("rnn case {case}"));
    }
}

#[test]
fn gru_equals_c_with_both_reset_forms() {
    let mut rng = Rng::new(42);
    for case in 0..300 {
        Case::random(&mut rng, 3).check(&format!("gru case {case}"));
    }
}

#[test]
fn lstm_equals_c_with_and_without_peepholes() {
    let mut rng = Rng::new(43);
    for case in 0..300 {
        Case::random(&mut rng, 4).check(&format!("lstm case {case}"));
    }
}

/// hidden = input = 1, two steps, batch 1, one direction, every operand present.
fn tiny(gates: i32, x: [f32; 2], w: &[f32], r: &[f32], b: &[f32], lbr: i32) -> Case {
    Case {
        p: RnnParams {
            seq: 2,
            batch: 1,
            input: 1,
            hidden: 1,
            dirs: 1,
            reverse: 0,
            batch_first: 0,
            linear_before_reset: lbr,
        },
        gates,
        x: x.to_vec(),
        w: w.to_vec(),
        r: r.to_vec(),
        b: Some(b.to_vec()),
        h0: None,
        c0: None,
        peep: None,
        outputs: [true, true, gates == 4],
    }
}

fn check_hand(case: &Case, want_y: [f32; 2], want_c: Option<f32>) {
    for (who, out) in [("rust", case.run_rust()), ("c", case.run_c())] {
        assert_close(&format!("{who} y"), &out[0], &want_y, 1e-6);
        assert_close(&format!("{who} y_h"), &out[1], &want_y[1..], 1e-6);
        if let Some(c) = want_c {
            assert_close(&format!("{who} y_c"), &out[2], &[c], 1e-6);
        }
    }
}

#[test]
fn recurrent_kernels_match_hand_values() {
    // Reference numbers: the formulas of mn_kernels.h evaluated in double precision
    // with Python's math module (tanh, exp), one scalar per gate.
    // RNN: h1 = tanh(0.5 * 1 + 0.3) = tanh(0.8), h2 = tanh(0.5 * 2 + 0.25 h1 + 0.3).
    let rnn = tiny(1, [1.0, 2.0], &[0.5], &[0.25], &[0.1, 0.2], 0);
    check_hand(&rnn, [0.664_036_77, 0.898_813_4], None);

    // GRU with h0 = 0.5, z r h weights, Wb then Rb.
    for (lbr, want) in [
        (0, [0.611_263_9, -0.049_555_196]),
        (1, [0.599_339_2, -0.079_675_49]),
    ] {
        let mut gru = tiny(
            3,
            [1.0, -1.0],
            &[0.5, -0.3, 0.8],
            &[0.2, 0.4, -0.6],
            &[0.1, 0.2, 0.3, -0.1, 0.05, 0.2],
            lbr,
        );
        gru.h0 = Some(vec![0.5]);
        check_hand(&gru, want, None);
    }

    // LSTM (gates i o f c) with h0 = 0.2, c0 = -0.4 and peepholes P_i, P_o, P_f.
    let mut lstm = tiny(
        4,
        [1.0, 0.5],
        &[0.3, -0.2, 0.5, 0.7],
        &[0.1, 0.2, -0.3, 0.4],
        &[0.1, 0.0, 0.2, -0.1, 0.0, 0.1, 0.0, 0.05],
        0,
    );
    lstm.h0 = Some(vec![0.2]);
    lstm.c0 = Some(vec![-0.4]);
    lstm.peep = Some(vec![0.05, -0.1, 0.2]);
    check_hand(&lstm, [0.056_828_38, 0.121_065_27], Some(0.248_786_47));
}
