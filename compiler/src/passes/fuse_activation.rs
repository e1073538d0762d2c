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

pub fn run(g: &mut Graph) -> Result<(), PassError> {
    let mut i = 0;
    while i < g.nodes.len() {
        let Some(act) = as_activation(&g.nodes[i].op) else {
            i += 1;
            continue;
        };
        let x = g.nodes[i].inputs[0];
        let producers = g.producers();
        let consumers = g.consumers();
        let fusable = match producers[x] {
            Some(p) => {
                consumers[x].len() == 1
                    && !g.outputs.contains(&x)
                    && g.nodes[p].outputs.len() == 1
                    && matches!(act_slot(&mut g.nodes[p].op.clone()), Some(a) if *a == Activation::None)
            }
            None => false,
        };
        if !fusable {
            i += 1;
            continue;
        }
        let p = producers[x].unwrap_or(i);
        let y = g.nodes[i].outputs[0];
        if let Some(slot) = act_slot(&mut g.nodes[p].op) {
            *slot = act;
        }
        g.nodes[p].outputs[0] = y;
        g.nodes.remove(i);
    }
    g.compact_tensors();
    Ok(())
}
