//! Calibration for the `mean` fallback: the per-element mean of every cut tensor whose
//! policy is `mean`, over a calibration data set, computed by running the model itself
//! (as one device, with those tensors made graph outputs) on every sample.

use crate::driver::{self, Deployed};
use crate::npy::Array;
use crate::tools::simulate::{self, SimError};
use std::path::Path;

/// Compute the means from `calib` (.npz like `simulate --data`) and attach them to the
/// receive stubs that use the `mean` fallback.
pub fn apply_means(d: &mut Deployed, calib: &Path) -> Result<(), SimError> {
    let wanted: Vec<usize> = d
        .devices
        .iter()
        .flat_map(|dev| dev.rx.iter())
        .filter(|l| l.fallback == crate::deploy::Fallback::Mean)
        .map(|l| l.tensor)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let data = simulate::load_dataset(calib, d)?;
    // The model as one device whose outputs are the wanted tensors.
    let mut g = d.graph.clone();
    g.outputs = wanted.clone();
    let (order, plan) = crate::plan::schedule::order(&g);
    let single = driver::Prepared {
        graph: g,
        order,
        plan,
        model_name: d.model_name.clone(),
    };
    let probe = driver::deploy_single(single)?;
    let dir = tempfile::Builder::new()
        .prefix("meshnn-calib-")
        .tempdir()
        .map_err(|source| SimError::Io {
            path: "temporary directory".into(),
            source,
        })?;
    let files = driver::emit(&probe)?;
    driver::write_files(dir.path(), &files)?;
    let exe =
        crate::tools::host_build::build(dir.path(), &[driver::SINGLE_DEVICE.to_string()], &[])?;
    let mut sums: Vec<Vec<f64>> = wanted
        .iter()
        .map(|&t| vec![0.0; d.graph.tensors[t].numel()])
        .collect();
    for s in 0..data.n {
        let inputs: Vec<Array<f32>> = data
            .inputs
            .iter()
            .map(|a| {
                let per = a.data.len() / data.n;
                Array {
                    shape: a.shape.clone(),
                    data: a.data[s * per..(s + 1) * per].to_vec(),
                }
            })
            .collect();
        let ins: Vec<std::path::PathBuf> = (0..inputs.len())
            .map(|k| dir.path().join(format!("c{k}.bin")))
            .collect();
        for (k, a) in inputs.iter().enumerate() {
            let bytes: Vec<u8> = a.data.iter().flat_map(|v| v.to_le_bytes()).collect();
            std::fs::write(&ins[k], bytes).map_err(|source| SimError::Io {
                path: ins[k].display().to_string(),
                source,
            })?;
        }
        let outs: Vec<std::path::PathBuf> = (0..wanted.len())
            .map(|k| dir.path().join(format!("o{k}.bin")))
            .collect();
        crate::tools::host_build::run(&exe, &ins, &outs, None)?;
        for (k, o) in outs.iter().enumerate() {
            let bytes = std::fs::read(o).map_err(|source| SimError::Io {
                path: o.display().to_string(),
                source,
            })?;
            for (j, c) in bytes.chunks_exact(4).enumerate() {
                sums[k][j] += f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64;
            }
        }
    }
    for dev in &mut d.devices {
        for l in &mut dev.rx {
            if let Some(k) = wanted.iter().position(|&t| t == l.tensor) {
                l.mean = Some(
                    sums[k]
                        .iter()
                        .map(|&v| (v / data.n as f64) as f32)
                        .collect(),
                );
            }
        }
    }
    Ok(())
}
