//! Checking a QEMU run against the host build: the hub's outputs and every tensor a
//! device sent, within `TOLERANCE`.

use super::{FirmwareError, TOLERANCE};
use crate::driver::Deployed;
use crate::link::LinkKey;
use crate::link::{parse_frames, tensors_of, Frame};
use crate::npy::Array;
use crate::tools::host_build::read_f32s;
use std::path::Path;

/// Per device result of a QEMU run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeviceRun {
    pub device: String,
    pub machine: String,
    /// Frames received (replayed from the host build) and sent.
    pub frames_in: usize,
    pub frames_out: usize,
    /// Worst relative difference from the host build over outputs and sent tensors.
    pub worst_rel: f64,
}

/// Largest relative difference |a - b| / max(|b|, 1e-3 * max|b|, 1e-6) (b: the host's
/// values). An element near zero is measured against the tensor's scale: the MCU's C
/// library (newlib, picolibc) rounds expf/erff/tanhf/sqrtf differently from the host's by
/// an ulp or so, and after a normalisation or softmax that is a large share of a value
/// that happens to be tiny.
pub fn worst_rel(a: &[f32], b: &[f32]) -> f64 {
    let scale = 1e-3 * b.iter().fold(0.0f64, |m, &y| m.max((y as f64).abs()));
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let (x, y) = (x as f64, y as f64);
            if x.is_nan() || y.is_nan() {
                if x.is_nan() && y.is_nan() {
                    0.0
                } else {
                    f64::INFINITY
                }
            } else {
                (x - y).abs() / y.abs().max(scale).max(1e-6)
            }
        })
        .fold(0.0, f64::max)
}

/// `worst_rel` of `got` against `want`, an error naming `what` above [`TOLERANCE`].
fn within_tolerance(got: &[f32], want: &[f32], what: &str) -> Result<f64, String> {
    let w = worst_rel(got, want);
    if w > TOLERANCE {
        return Err(format!(
            "{what}: worst relative difference {w:.3e} > {TOLERANCE:e}"
        ));
    }
    Ok(w)
}

/// Compare device `id`'s run in `run_dir` with the host build (its outputs `host` and
/// its frames recorded in `rec`, sealed with `key` on authenticated links); returns the run's summary and the outputs it computed.
pub fn compare_device(
    d: &Deployed,
    id: usize,
    run_dir: &Path,
    rec: &Path,
    host: &[Array<f32>],
    key: Option<&LinkKey>,
) -> Result<(DeviceRun, Vec<Array<f32>>), FirmwareError> {
    let dev = &d.devices[id];
    let mismatch = |message: String| FirmwareError::Mismatch {
        device: dev.name.clone(),
        message,
    };
    let (outputs, worst_out) = if dev.outputs.is_empty() {
        (Vec::new(), 0.0)
    } else {
        let got = read_f32s(&run_dir.join("fw_out.bin"))?;
        compare_outputs(d, id, &got, host).map_err(mismatch)?
    };
    let host_tx = std::fs::read(rec.join(format!("tx_{id}.bin"))).unwrap_or_default();
    let host_tx = parse_frames(&host_tx, key).map_err(|e| mismatch(format!("host record: {e}")))?;
    let fw_tx = if dev.tx.is_empty() {
        Vec::new()
    } else {
        let bytes = std::fs::read(run_dir.join("fw_tx.bin")).unwrap_or_default();
        parse_frames(&bytes, key).map_err(|e| mismatch(format!("fw_tx.bin: {e}")))?
    };
    let worst_tx = compare_sent(&fw_tx, &host_tx).map_err(mismatch)?;
    let rx_bytes = std::fs::read(run_dir.join("fw_rx.bin")).unwrap_or_default();
    let run = DeviceRun {
        device: dev.name.clone(),
        machine: d.dep.devices[id]
            .target
            .qemu
            .as_ref()
            .map(|q| q.machine.clone())
            .unwrap_or_default(),
        frames_in: parse_frames(&rx_bytes, key).map(|v| v.len()).unwrap_or(0),
        frames_out: fw_tx.len(),
        worst_rel: worst_out.max(worst_tx),
    };
    Ok((run, outputs))
}

/// Split the hub's `fw_out.bin` (`got`) into its graph outputs and compare each with
/// the host's; returns them and the worst difference.
fn compare_outputs(
    d: &Deployed,
    id: usize,
    got: &[f32],
    host: &[Array<f32>],
) -> Result<(Vec<Array<f32>>, f64), String> {
    let mut outputs = Vec::new();
    let mut worst = 0.0f64;
    let mut off = 0;
    for (k, &x) in d.devices[id].outputs.iter().enumerate() {
        let tensor = &d.graph.tensors[x];
        let n: usize = tensor.shape.iter().product();
        let gi = d.graph.outputs.iter().position(|&g| g == x).unwrap_or(k);
        let Some(part) = got.get(off..off + n) else {
            return Err(format!("fw_out.bin holds {} floats", got.len()));
        };
        let what = format!("output '{}'", tensor.name);
        worst = worst.max(within_tolerance(part, &host[gi].data, &what)?);
        outputs.push(Array {
            shape: tensor.shape.clone(),
            data: part.to_vec(),
        });
        off += n;
    }
    Ok((outputs, worst))
}

/// Compare the frames a device sent with those the host build sent, tensor by tensor;
/// returns the worst difference.
fn compare_sent(fw_tx: &[Frame], host_tx: &[Frame]) -> Result<f64, String> {
    if host_tx.len() != fw_tx.len() {
        return Err(format!(
            "sent {} frames, the host build sent {}",
            fw_tx.len(),
            host_tx.len()
        ));
    }
    let (ht, ft) = (tensors_of(host_tx), tensors_of(fw_tx));
    let mut worst = 0.0f64;
    for (k, hv) in &ht {
        let Some(fv) = ft.get(k) else {
            return Err(format!("never sent tensor {} to device {}", k.1, k.0));
        };
        if fv.len() != hv.len() {
            return Err(format!(
                "tensor {} to device {}: {} floats, host {}",
                k.1,
                k.0,
                fv.len(),
                hv.len()
            ));
        }
        let what = format!("tensor {} sent to device {}", k.1, k.0);
        worst = worst.max(within_tolerance(fv, hv, &what)?);
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::worst_rel;

    #[test]
    fn near_zero_elements_are_measured_against_the_tensor_scale() {
        // 2e-8 off an element of 5e-4 in a tensor whose largest value is 2: 2e-8 / 2e-3.
        let w = worst_rel(&[2.0, 0.000_500_02], &[2.0, 0.0005]);
        assert!((w - 1e-5).abs() < 1e-7, "{w}");
        // Large elements keep the plain relative difference: 2e-4 / 2.
        let w = worst_rel(&[2.0002, 0.0], &[2.0, 0.0]);
        assert!((w - 1e-4).abs() < 1e-6, "{w}");
        assert_eq!(worst_rel(&[f32::NAN], &[1.0]), f64::INFINITY);
    }
}
