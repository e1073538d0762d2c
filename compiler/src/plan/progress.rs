//! Whether the devices' node orders can all run to the end.
//!
//! Each device runs its nodes in its own order and waits whenever the next node needs a
//! tensor another device has not produced yet. Orders chosen per device (for memory, then
//! for latency) can wait on each other in a cycle: device A's next node needs what B makes
//! later, while B's next node needs what A makes later. Then every inference falls back at
//! the deadline, even on a perfect link. [`stalled`] finds that by running the orders
//! abstractly: a device's produced tensors reach the others when its stage ends, which is
//! exactly when it would wait or finish, so node-level progress decides it. The node
//! orders that are all restrictions of one topological order of the graph never stall.

use crate::ir::{Graph, NodeId};

/// A device that cannot go on: its index and the node it waits at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stall {
    pub device: usize,
    pub node: NodeId,
}

/// `None` when the per-device `orders` all run to the end; else every device left
/// waiting, with the node it waits at.
pub fn stalled<O: AsRef<[NodeId]>>(g: &Graph, orders: &[O]) -> Option<Vec<Stall>> {
    let mut ready: Vec<bool> = g
        .tensors
        .iter()
        .enumerate()
        .map(|(t, x)| x.is_const() || g.inputs.contains(&t))
        .collect();
    let mut next = vec![0usize; orders.len()];
    loop {
        let mut progressed = false;
        for (d, order) in orders.iter().enumerate() {
            while let Some(&i) = order.as_ref().get(next[d]) {
                if !g.nodes[i].inputs.iter().all(|&t| ready[t]) {
                    break;
                }
                for &t in &g.nodes[i].outputs {
                    ready[t] = true;
                }
                next[d] += 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    let stalls: Vec<Stall> = orders
        .iter()
        .enumerate()
        .filter_map(|(d, order)| {
            order
                .as_ref()
                .get(next[d])
                .map(|&node| Stall { device: d, node })
        })
        .collect();
    (!stalls.is_empty()).then_some(stalls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{DType, KernelSet, Node, Op, Tensor};

    /// x -> a1 -> t1 ; x -> a2 -> t2 ; t2 -> b1 -> u1 ; t1 -> b2 -> u2 ; u2 -> a3 ; u1 -> a4
    /// (a* on device 0, b* on device 1).
    fn crossing() -> Graph {
        let mut g = Graph::default();
        let t = |g: &mut Graph, name: &str| {
            g.add_tensor(Tensor {
                name: name.into(),
                dtype: DType::F32,
                shape: vec![1],
                data: None,
                quant: None,
            })
        };
        let x = t(&mut g, "x");
        let ids: Vec<usize> = ["t1", "t2", "u1", "u2", "y1", "y2"]
            .iter()
            .map(|n| t(&mut g, n))
            .collect();
        let (t1, t2, u1, u2, y1, y2) = (ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]);
        g.inputs = vec![x];
        g.outputs = vec![y1, y2];
        for (name, i, o) in [
            ("a1", x, t1),
            ("a2", x, t2),
            ("b1", t2, u1),
            ("b2", t1, u2),
            ("a3", u2, y1),
            ("a4", u1, y2),
        ] {
            g.nodes.push(Node {
                name: name.into(),
                onnx_op: "Identity".into(),
                op: Op::Identity,
                inputs: vec![i],
                outputs: vec![o],
                kernels: KernelSet::Fast,
            });
        }
        g
    }

    #[test]
    fn orders_that_follow_one_topological_order_finish() {
        let g = crossing();
        assert_eq!(stalled(&g, &[vec![0, 1, 4, 5], vec![2, 3]]), None);
    }

    #[test]
    fn orders_that_wait_on_each_other_stall_and_name_where() {
        let g = crossing();
        // Device 0 waits for u1 (b1) before making t1; device 1 waits for t1 (b2) first.
        let s = stalled(&g, &[vec![1, 5, 0, 4], vec![3, 2]]).unwrap();
        assert_eq!(
            s,
            vec![Stall { device: 0, node: 5 }, Stall { device: 1, node: 3 }]
        );
    }
}
