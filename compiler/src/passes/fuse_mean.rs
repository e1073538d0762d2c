//! Turn `Sum` followed by a division by the number of summed inputs (or a multiplication
//! by its reciprocal) into `Mean`, so that redundant copies averaged this way are also
//! averaged over the copies that arrive (see codegen's `mn_mean_arrived_f32`).

use super::PassError;
use crate::ir::{BinaryKind, Graph, Op, VariadicKind};

/// One walk with the reader map built once; a Div/Mul folded into its Sum is marked
/// removed (node ids stay valid) and dropped at the end.
pub fn run(g: &mut Graph) -> Result<(), PassError> {
    let consumers = g.consumers();
    let mut removed = vec![false; g.nodes.len()];
    let mut i = 0;
    while i < g.nodes.len() {
        let Op::Variadic {
            kind: VariadicKind::Sum,
        } = g.nodes[i].op
        else {
            i += 1;
            continue;
        };
        let n = g.nodes[i].inputs.len() as f32;
        let t = g.nodes[i].outputs[0];
        let [c] = consumers[t].as_slice() else {
            i += 1;
            continue;
        };
        let c = *c;
        let scale_ok = match &g.nodes[c].op {
            Op::Binary { kind, act }
                if *act == Default::default() && g.nodes[c].inputs.first() == Some(&t) =>
            {
                let k = g.nodes[c]
                    .inputs
                    .get(1)
                    .and_then(|&s| g.tensors[s].data.as_ref())
                    .filter(|d| d.len() == 1)
                    .map(|d| d.to_f32()[0]);
                let out_same = g.tensors[g.nodes[c].outputs[0]].shape == g.tensors[t].shape;
                out_same
                    && match (kind, k) {
                        (BinaryKind::Div, Some(k)) => k == n,
                        (BinaryKind::Mul, Some(k)) => (k * n - 1.0).abs() < 1e-6,
                        _ => false,
                    }
            }
            _ => false,
        };
        if !scale_ok || g.outputs.contains(&t) {
            i += 1;
            continue;
        }
        let y = g.nodes[c].outputs[0];
        g.nodes[i].op = Op::Variadic {
            kind: VariadicKind::Mean,
        };
        g.nodes[i].outputs[0] = y;
        removed[c] = true;
        i += 1;
    }
    let mut marks = removed.iter();
    g.nodes.retain(|_| !marks.next().copied().unwrap_or(false));
    g.compact_tensors();
    Ok(())
}
