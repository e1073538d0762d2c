//! Fuse Relu, Clip (Relu6), LeakyRelu, HardSigmoid, HardSwish and Swish (SiLU) into the
//! Conv, Gemm or Add/Sub/Mul/Div that
//! produces their input, so the activation costs no extra pass over memory.

use super::PassError;
use crate::ir::{Activation, Graph, Op, UnaryKind};

fn as_activation(op: &Op) -> Option<Activation> {
    match op {
        Op::Unary(UnaryKind::Relu) => Some(Activation::Relu),
        Op::Unary(UnaryKind::LeakyRelu { alpha }) => Some(Activation::LeakyRelu { alpha: *alpha }),
        Op::Unary(UnaryKind::Clip { min, max }) => Some(Activation::Clip {
            min: *min,
            max: *max,
        }),
        Op::Unary(UnaryKind::HardSigmoid { alpha, beta }) => Some(Activation::HardSigmoid {
            alpha: *alpha,
            beta: *beta,
        }),
        Op::Unary(UnaryKind::HardSwish) => Some(Activation::HardSwish),
        Op::Unary(UnaryKind::Swish { alpha }) => Some(Activation::Swish { alpha: *alpha }),
        _ => None,
    }
}

fn act_slot(op: &mut Op) -> Option<&mut Activation> {
    match op {
        Op::Conv { act, .. } | Op::Gemm { act, .. } | Op::Binary { act, .. } => Some(act),
        _ => None,
    }
}

/// One walk over the nodes with the producer and reader maps built once: fusing rewires
/// the producer to write the activation's output (so a later activation of that output
/// sees a producer that already has one) and marks the activation removed.
pub fn run(g: &mut Graph) -> Result<(), PassError> {
    let mut producers = g.producers();
    let consumers = g.consumers();
    let is_output = g.output_mask();
    let mut removed = vec![false; g.nodes.len()];
    for (i, gone) in removed.iter_mut().enumerate() {
        let Some(act) = as_activation(&g.nodes[i].op) else {
            continue;
        };
        let x = g.nodes[i].inputs[0];
        let Some(p) = producers[x] else {
            continue;
        };
        let fusable = consumers[x].len() == 1
            && !is_output[x]
            && g.nodes[p].outputs.len() == 1
            && matches!(act_slot(&mut g.nodes[p].op.clone()), Some(a) if *a == Activation::None);
        if !fusable {
            continue;
        }
        let y = g.nodes[i].outputs[0];
        if let Some(slot) = act_slot(&mut g.nodes[p].op) {
            *slot = act;
        }
        g.nodes[p].outputs[0] = y;
        producers[y] = Some(p);
        producers[x] = None;
        *gone = true;
    }
    let mut marks = removed.iter();
    g.nodes.retain(|_| !marks.next().copied().unwrap_or(false));
    g.compact_tensors();
    Ok(())
}
