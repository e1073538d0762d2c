//! Calibration for the `mean` fallback: the per-element mean of every cut tensor whose
//! policy is `mean`, over a calibration data set, computed by running the model itself
//! (as one device, with those tensors made graph outputs) on every sample.

use crate::deploy::Fallback;
use crate::driver::{self, Deployed};
use crate::ir::{DType, Graph, Node, Op, Tensor, TensorId};
use crate::tools::dataset::{load_dataset, DataError};
use crate::tools::host_build::{io_err, HostBuild, HostError};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum CalibError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Pipeline(#[from] driver::Error),
    #[error(transparent)]
    Host(#[from] HostError),
    #[error("{file}: device '{device}' receives '{tensor}' with the `mean` fallback, which needs calibration data: pass --calib DATA.npz (samples like `simulate --data`), or choose the `zero` or `hold` fallback")]
    Missing {
        file: String,
        device: String,
        tensor: String,
    },
    #[error("--calib {0}; the `mean` fallback would become NaN: pass finite calibration data")]
    NonFinite(String),
}

/// Attach the `mean` fallback's calibration means from `calib`, or fail when a receive
/// stub uses `mean` and no calibration data is given (it used to become `zero` silently).
/// Returns a warning when `calib` is given but no received tensor uses `mean`.
pub fn calibrate(d: &mut Deployed, calib: Option<&Path>) -> Result<Option<String>, CalibError> {
    let Some(calib) = calib else {
        let missing = d.devices.iter().find_map(|dev| {
            dev.rx
                .iter()
                .find(|l| l.fallback == Fallback::Mean)
                .map(|l| (dev, l))
        });
        return match missing {
            Some((dev, l)) => Err(CalibError::Missing {
                file: d.dep.file.clone(),
                device: dev.name.clone(),
                tensor: d.graph.tensors[l.tensor].name.clone(),
            }),
            None => Ok(None),
        };
    };
    if mean_tensors(d).is_empty() {
        // Read it anyway: a path that is wrong is an error, used or not.
        load_dataset(calib, d)?;
        return Ok(Some(format!(
            "--calib {}: no received tensor uses the `mean` fallback in this partition; the calibration data is not used",
            calib.display()
        )));
    }
    apply_means(d, calib)?;
    Ok(None)
}

/// The cut tensors received with the `mean` fallback.
fn mean_tensors(d: &Deployed) -> Vec<usize> {
    d.devices
        .iter()
        .flat_map(|dev| dev.rx.iter())
        .filter(|l| l.fallback == Fallback::Mean)
        .map(|l| l.tensor)
        .collect()
}

/// `d`'s model as one device whose outputs are the tensors `wanted`, an int8 one
/// dequantised (its mean is taken over real values and quantised by codegen like the
/// tensor).
fn probe(d: &Deployed, wanted: &[usize]) -> Result<Deployed, driver::Error> {
    let mut g = d.graph.clone();
    g.outputs = wanted.iter().map(|&t| dequantised(&mut g, t)).collect();
    let (order, plan) = crate::plan::schedule::order(&g);
    driver::deploy_single(driver::Prepared {
        graph: g,
        order,
        plan,
        model_name: d.model_name.clone(),
    })
}

/// Compute the means from `calib` (.npz like `simulate --data`) and attach them to the
/// receive stubs that use the `mean` fallback.
pub fn apply_means(d: &mut Deployed, calib: &Path) -> Result<(), CalibError> {
    let wanted = mean_tensors(d);
    if wanted.is_empty() {
        return Ok(());
    }
    let data = load_dataset(calib, d)?;
    if let Some(w) = data.non_finite_warning(calib) {
        return Err(CalibError::NonFinite(w));
    }
    let dir = tempfile::Builder::new()
        .prefix("meshnn-calib-")
        .tempdir()
        .map_err(io_err("create", Path::new("a temporary directory")))?;
    let build = HostBuild::emit(&probe(d, &wanted)?, dir.path(), &[])?;
    let mut sums: Vec<Vec<f64>> = wanted
        .iter()
        .map(|&t| vec![0.0; d.graph.tensors[t].numel()])
        .collect();
    for s in 0..data.n {
        let outs = build.infer(&data.sample(s), wanted.len())?;
        for (sum, out) in sums.iter_mut().zip(outs) {
            for (acc, v) in sum.iter_mut().zip(out) {
                *acc += v as f64;
            }
        }
    }
    for l in d.devices.iter_mut().flat_map(|dev| dev.rx.iter_mut()) {
        if let Some(k) = wanted.iter().position(|&t| t == l.tensor) {
            l.mean = Some(
                sums[k]
                    .iter()
                    .map(|&v| (v / data.n as f64) as f32)
                    .collect(),
            );
        }
    }
    Ok(())
}

/// `t` itself when it is float32, else a new float32 tensor DequantizeLinear(`t`) with
/// `t`'s quantisation parameters.
fn dequantised(g: &mut Graph, t: TensorId) -> TensorId {
    let (Some(q), DType::I8) = (g.tensors[t].quant.clone(), g.tensors[t].dtype) else {
        return t;
    };
    let y = g.tensors.len();
    g.tensors.push(Tensor {
        name: format!("{}__calib_dequantised", g.tensors[t].name),
        dtype: DType::F32,
        shape: g.tensors[t].shape.clone(),
        data: None,
        quant: None,
    });
    g.nodes.push(Node {
        name: format!("{}__calib_dequantise", g.tensors[t].name),
        onnx_op: "DequantizeLinear".into(),
        op: Op::Dequantize(q),
        inputs: vec![t],
        outputs: vec![y],
        kernels: Default::default(),
    });
    y
}
