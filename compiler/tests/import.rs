//! Importer tests: small models built in code, one check per behaviour.

use meshnn::ir::{Activation, BinaryKind, DType, Data, Graph, Op, PoolKind};
use meshnn::onnx::{import_bytes, import_file, supported_ops, ImportError};
use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataLocation;
use onnx_protobuf::tensor_shape_proto::{dimension, Dimension};
use onnx_protobuf::type_proto::{self, Tensor as TypeTensor};
use onnx_protobuf::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use protobuf::Message;

// ---------------------------------------------------------------- model builder

enum D {
    V(i64),
    P(&'static str),
}

fn value_info(name: &str, elem: i32, dims: &[D]) -> ValueInfoProto {
    let mut shape = TensorShapeProto::new();
    for d in dims {
        let mut dim = Dimension::new();
        dim.value = Some(match d {
            D::V(v) => dimension::Value::DimValue(*v),
            D::P(p) => dimension::Value::DimParam(p.to_string()),
        });
        shape.dim.push(dim);
    }
    let mut tt = TypeTensor::new();
    tt.elem_type = elem;
    tt.shape = Some(shape).into();
    let mut tp = TypeProto::new();
    tp.value = Some(type_proto::Value::TensorType(tt));
    let mut vi = ValueInfoProto::new();
    vi.name = name.into();
    vi.type_ = Some(tp).into();
    vi
}

struct M {
    opset: i64,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<String>,
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
}

impl M {
    fn new(opset: i64) -> Self {
        M {
            opset,
            inputs: vec![],
            outputs: vec![],
            nodes: vec![],
            inits: vec![],
        }
    }
    fn input(mut self, name: &str, dims: &[i64]) -> Self {
        let d: Vec<D> = dims.iter().map(|&v| D::V(v)).collect();
        self.inputs.push(value_info(name, 1, &d));
        self
    }
    fn input_dims(mut self, name: &str, elem: i32, dims: &[D]) -> Self {
        self.inputs.push(value_info(name, elem, dims));
        self
    }
    fn output(mut self, name: &str) -> Self {
        self.outputs.push(name.into());
        self
    }
    fn node(mut self, n: NodeProto) -> Self {
        self.nodes.push(n);
        self
    }
    fn init(mut self, t: TensorProto) -> Self {
        self.inits.push(t);
        self
    }
    fn proto(self) -> ModelProto {
        let mut g = GraphProto::new();
        g.name = "test".into();
        g.node = self.nodes;
        g.initializer = self.inits;
        g.input = self.inputs;
        g.output = self
            .outputs
            .iter()
            .map(|o| {
                let mut vi = ValueInfoProto::new();
                vi.name = o.clone();
                vi
            })
            .collect();
        let mut m = ModelProto::new();
        m.ir_version = 8;
        let mut op = OperatorSetIdProto::new();
        op.domain = String::new();
        op.version = self.opset;
        m.opset_import.push(op);
        m.graph = Some(g).into();
        m
    }
    fn bytes(self) -> Vec<u8> {
        self.proto().write_to_bytes().expect("serialise")
    }
    fn import(self) -> Result<Graph, ImportError> {
        import_bytes(&self.bytes(), None)
    }
    fn ok(self) -> Graph {
        match self.import() {
            Ok(g) => g,
            Err(e) => panic!("import failed: {e}"),
        }
    }
    fn err(self) -> String {
        match self.import() {
            Ok(_) => panic!("import should have failed"),
            Err(e) => e.to_string(),
        }
    }
}

fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<AttributeProto>) -> NodeProto {
    let mut n = NodeProto::new();
    n.op_type = op.into();
    n.name = format!("n_{}", outputs.first().copied().unwrap_or(op));
    n.input = inputs.iter().map(|s| s.to_string()).collect();
    n.output = outputs.iter().map(|s| s.to_string()).collect();
    n.attribute = attrs;
    n
}

fn attr(name: &str, ty: AttributeType) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.into();
    a.type_ = ty.into();
    a
}
fn ai(name: &str, v: i64) -> AttributeProto {
    let mut a = attr(name, AttributeType::INT);
    a.i = v;
    a
}
fn ais(name: &str, v: &[i64]) -> AttributeProto {
    let mut a = attr(name, AttributeType::INTS);
    a.ints = v.to_vec();
    a
}
fn af(name: &str, v: f32) -> AttributeProto {
    let mut a = attr(name, AttributeType::FLOAT);
    a.f = v;
    a
}
fn astr(name: &str, v: &str) -> AttributeProto {
    let mut a = attr(name, AttributeType::STRING);
    a.s = v.as_bytes().to_vec();
    a
}
fn at(name: &str, t: TensorProto) -> AttributeProto {
    let mut a = attr(name, AttributeType::TENSOR);
    a.t = Some(t).into();
    a
}

fn tf(name: &str, dims: &[i64], v: &[f32]) -> TensorProto {
    let mut t = TensorProto::new();
    t.name = name.into();
    t.dims = dims.to_vec();
    t.data_type = 1;
    t.float_data = v.to_vec();
    t
}
fn ti(name: &str, dims: &[i64], v: &[i64]) -> TensorProto {
    let mut t = TensorProto::new();
    t.name = name.into();
    t.dims = dims.to_vec();
    t.data_type = 7;
    t.int64_data = v.to_vec();
    t
}
fn zeros(name: &str, dims: &[i64]) -> TensorProto {
    let n: i64 = dims.iter().product();
    tf(name, dims, &vec![0.0; n as usize])
}

fn shape(g: &Graph, name: &str) -> Vec<usize> {
    let id = g
        .find_tensor(name)
        .unwrap_or_else(|| panic!("no tensor {name}"));
    g.tensor(id).shape.clone()
}
fn data(g: &Graph, name: &str) -> Option<Data> {
    g.find_tensor(name).and_then(|id| g.tensor(id).data.clone())
}
fn op_of(g: &Graph, output: &str) -> Op {
    let id = g.find_tensor(output).expect("tensor");
    g.nodes
        .iter()
        .find(|n| n.outputs.contains(&id))
        .expect("producer")
        .op
        .clone()
}

/// One-node model on a runtime input x.
fn unary_model(opset: i64, x: &[i64], n: NodeProto) -> M {
    M::new(opset).input("x", x).node(n).output("y")
}

// ---------------------------------------------------------------- shape inference

#[test]
fn conv_same_upper_with_strides() {
    let g = M::new(13)
        .input("x", &[1, 3, 8, 7])
        .init(zeros("w", &[4, 3, 3, 3]))
        .init(zeros("b", &[4]))
        .node(node(
            "Conv",
            &["x", "w", "b"],
            &["y"],
            vec![astr("auto_pad", "SAME_UPPER"), ais("strides", &[2, 2])],
        ))
        .output("y")
        .ok();
    // H: ceil(8/2) = 4, total pad (4-1)*2+3-8 = 1 -> (0, 1); W: ceil(7/2) = 4, pad 2 -> (1, 1).
    assert_eq!(shape(&g, "y"), vec![1, 4, 4, 4]);
    match op_of(&g, "y") {
        Op::Conv {
            kernel,
            pads,
            group,
            ..
        } => {
            assert_eq!(kernel, vec![3, 3]);
            assert_eq!(pads, vec![0, 1, 1, 1]);
            assert_eq!(group, 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(g.nodes[0].inputs.len(), 3);
}

#[test]
fn conv_same_lower_puts_extra_pad_first() {
    let g = unary_model(
        11,
        &[1, 1, 8],
        node(
            "Conv",
            &["x", "w"],
            &["y"],
            vec![astr("auto_pad", "SAME_LOWER"), ais("strides", &[2])],
        ),
    )
    .init(zeros("w", &[1, 1, 3]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![1, 1, 4]);
    assert!(matches!(op_of(&g, "y"), Op::Conv { pads, .. } if pads == vec![1, 0]));
}

#[test]
fn conv_1d_depthwise_dilated_explicit_pads() {
    let g = unary_model(
        13,
        &[1, 6, 20],
        node(
            "Conv",
            &["x", "w"],
            &["y"],
            vec![
                ai("group", 6),
                ais("dilations", &[2]),
                ais("pads", &[1, 2]),
                ais("strides", &[3]),
            ],
        ),
    )
    .init(zeros("w", &[12, 1, 3]))
    .ok();
    // (20 + 3 - 5) / 3 + 1 = 7
    assert_eq!(shape(&g, "y"), vec![1, 12, 7]);
    assert!(matches!(op_of(&g, "y"), Op::Conv { group: 6, .. }));
}

#[test]
fn conv_valid_and_channel_mismatch() {
    let g = unary_model(
        13,
        &[1, 2, 5, 5],
        node("Conv", &["x", "w"], &["y"], vec![astr("auto_pad", "VALID")]),
    )
    .init(zeros("w", &[3, 2, 2, 2]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![1, 3, 4, 4]);
    let e = unary_model(13, &[1, 2, 5, 5], node("Conv", &["x", "w"], &["y"], vec![]))
        .init(zeros("w", &[3, 4, 2, 2]))
        .err();
    assert!(e.contains("shape error at node 'n_y' (Conv)"), "{e}");
}

#[test]
fn pools_with_ceil_mode() {
    let mk = |ceil: i64| {
        unary_model(
            12,
            &[1, 2, 5, 5],
            node(
                "MaxPool",
                &["x"],
                &["y"],
                vec![
                    ais("kernel_shape", &[2, 2]),
                    ais("strides", &[2, 2]),
                    ai("ceil_mode", ceil),
                ],
            ),
        )
        .ok()
    };
    assert_eq!(shape(&mk(0), "y"), vec![1, 2, 2, 2]);
    assert_eq!(shape(&mk(1), "y"), vec![1, 2, 3, 3]);
    let g = unary_model(
        11,
        &[1, 1, 6],
        node(
            "AveragePool",
            &["x"],
            &["y"],
            vec![
                ais("kernel_shape", &[3]),
                ais("pads", &[1, 1]),
                ai("count_include_pad", 1),
            ],
        ),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![1, 1, 6]);
    assert!(matches!(
        op_of(&g, "y"),
        Op::Pool {
            kind: PoolKind::Avg,
            count_include_pad: true,
            ..
        }
    ));
    let g = unary_model(
        13,
        &[1, 3, 4, 4],
        node("GlobalAveragePool", &["x"], &["y"], vec![]),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![1, 3, 1, 1]);
}

#[test]
fn reshape_zero_and_minus_one() {
    let g = unary_model(13, &[2, 3, 4], node("Reshape", &["x", "s"], &["y"], vec![]))
        .init(ti("s", &[2], &[0, -1]))
        .ok();
    assert_eq!(shape(&g, "y"), vec![2, 12]);
    assert_eq!(op_of(&g, "y"), Op::Reshape);
    assert_eq!(g.nodes[0].inputs.len(), 1, "shape operand is folded away");
}

#[test]
fn flatten_axes() {
    for (axis, want) in [(1, vec![2, 12]), (-1, vec![6, 4]), (0, vec![1, 24])] {
        let g = unary_model(
            13,
            &[2, 3, 4],
            node("Flatten", &["x"], &["y"], vec![ai("axis", axis)]),
        )
        .ok();
        assert_eq!(shape(&g, "y"), want, "axis {axis}");
        assert_eq!(g.nodes[0].onnx_op, "Flatten");
    }
}

#[test]
fn squeeze_unsqueeze_attribute_and_input_forms() {
    let g = unary_model(
        11,
        &[1, 3, 1, 4],
        node("Squeeze", &["x"], &["y"], vec![ais("axes", &[-2])]),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![1, 3, 4]);
    let g = unary_model(11, &[1, 3, 1, 4], node("Squeeze", &["x"], &["y"], vec![])).ok();
    assert_eq!(shape(&g, "y"), vec![3, 4]);
    let g = unary_model(
        13,
        &[1, 3, 1, 4],
        node("Squeeze", &["x", "a"], &["y"], vec![]),
    )
    .init(ti("a", &[1], &[0]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![3, 1, 4]);
    let g = unary_model(
        11,
        &[3, 4],
        node("Unsqueeze", &["x"], &["y"], vec![ais("axes", &[0, -1])]),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![1, 3, 4, 1]);
    let g = unary_model(13, &[3, 4], node("Unsqueeze", &["x", "a"], &["y"], vec![]))
        .init(ti("a", &[2], &[1, 3]))
        .ok();
    assert_eq!(shape(&g, "y"), vec![3, 1, 4, 1]);
}

#[test]
fn slice_negative_steps_and_clamping() {
    let g = unary_model(
        13,
        &[5, 6],
        node("Slice", &["x", "s", "e", "a", "st"], &["y"], vec![]),
    )
    .init(ti("s", &[2], &[-1, 100]))
    .init(ti("e", &[2], &[i64::MIN, 0]))
    .init(ti("a", &[2], &[1, 0]))
    .init(ti("st", &[2], &[-2, -1]))
    .ok();
    // axis 1: start 5, down to before 0 in steps of 2 -> 5,3,1; axis 0: start clamps to 4,
    // end 0 exclusive -> 4,3,2,1.
    assert_eq!(shape(&g, "y"), vec![4, 3]);
    assert_eq!(
        op_of(&g, "y"),
        Op::Slice {
            starts: vec![4, 5],
            steps: vec![-1, -2]
        }
    );
    let g = unary_model(
        9,
        &[5, 6],
        node(
            "Slice",
            &["x"],
            &["y"],
            vec![ais("starts", &[1]), ais("ends", &[-1]), ais("axes", &[1])],
        ),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![5, 4]);
}

#[test]
fn split_even_uneven_and_sized() {
    let unary_model = |opset, x: &[i64], n: NodeProto| {
        let outs = n.output.clone();
        let mut m = M::new(opset).input("x", x).node(n);
        for o in &outs {
            m = m.output(o);
        }
        m
    };
    let g = unary_model(
        18,
        &[2, 7],
        node(
            "Split",
            &["x"],
            &["a", "b", "c"],
            vec![ai("axis", 1), ai("num_outputs", 3)],
        ),
    )
    .ok();
    assert_eq!((shape(&g, "a"), shape(&g, "c")), (vec![2, 3], vec![2, 1]));
    assert!(matches!(op_of(&g, "a"), Op::Split { axis: 1, sizes } if sizes == vec![3, 3, 1]));
    let g = unary_model(
        11,
        &[6, 2],
        node("Split", &["x"], &["a", "b"], vec![ais("split", &[2, 4])]),
    )
    .ok();
    assert_eq!(shape(&g, "b"), vec![4, 2]);
    let g = unary_model(13, &[6, 2], node("Split", &["x", "s"], &["a", "b"], vec![]))
        .init(ti("s", &[2], &[5, 1]))
        .ok();
    assert_eq!(shape(&g, "a"), vec![5, 2]);
    let g = unary_model(13, &[6, 2], node("Split", &["x"], &["a", "b", "c"], vec![])).ok();
    assert_eq!(shape(&g, "c"), vec![2, 2]);
}

#[test]
fn gather_scalar_and_negative_index() {
    let g = unary_model(13, &[3, 4], node("Gather", &["x", "i"], &["y"], vec![]))
        .init(ti("i", &[], &[-1]))
        .ok();
    assert_eq!(shape(&g, "y"), vec![4]);
    assert_eq!(
        op_of(&g, "y"),
        Op::Gather {
            axis: 0,
            indices: vec![2],
            indices_shape: vec![]
        }
    );
    let g = unary_model(
        13,
        &[3, 4],
        node("Gather", &["x", "i"], &["y"], vec![ai("axis", 1)]),
    )
    .init(ti("i", &[2, 2], &[0, 1, 2, 3]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![3, 2, 2]);
}

#[test]
fn softmax_coerce_2d_depends_on_opset() {
    let g = unary_model(11, &[2, 3, 4], node("Softmax", &["x"], &["y"], vec![])).ok();
    assert_eq!(
        op_of(&g, "y"),
        Op::Softmax {
            axis: 1,
            log: false,
            coerce_2d: true
        }
    );
    let g = unary_model(13, &[2, 3, 4], node("LogSoftmax", &["x"], &["y"], vec![])).ok();
    assert_eq!(
        op_of(&g, "y"),
        Op::Softmax {
            axis: 2,
            log: true,
            coerce_2d: false
        }
    );
}

#[test]
fn reduce_keepdims_and_axes_forms() {
    let g = unary_model(
        13,
        &[2, 3, 4],
        node(
            "ReduceMean",
            &["x"],
            &["y"],
            vec![ais("axes", &[-1, 1]), ai("keepdims", 0)],
        ),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![2]);
    assert!(
        matches!(op_of(&g, "y"), Op::Reduce { axes, keepdims: false, .. } if axes == vec![1, 2])
    );
    let g = unary_model(
        18,
        &[2, 3, 4],
        node("ReduceMax", &["x", "a"], &["y"], vec![]),
    )
    .init(ti("a", &[1], &[1]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![2, 1, 4]);
    let g = unary_model(13, &[2, 3, 4], node("ReduceMax", &["x"], &["y"], vec![])).ok();
    assert_eq!(shape(&g, "y"), vec![1, 1, 1]);
}

#[test]
fn gemm_matmul_binary_transpose_pad_shapes() {
    let g = unary_model(
        13,
        &[4, 3],
        node(
            "Gemm",
            &["x", "w", "c"],
            &["y"],
            vec![ai("transA", 1), ai("transB", 1), af("alpha", 0.5)],
        ),
    )
    .init(zeros("w", &[5, 4]))
    .init(zeros("c", &[5]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![3, 5]);
    assert!(
        matches!(op_of(&g, "y"), Op::Gemm { alpha, trans_a: true, trans_b: true, .. } if alpha == 0.5)
    );
    let g = unary_model(
        13,
        &[2, 1, 3, 4],
        node("MatMul", &["x", "w"], &["y"], vec![]),
    )
    .init(zeros("w", &[5, 4, 6]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![2, 5, 3, 6]);
    let g = unary_model(13, &[2, 1, 4], node("Add", &["x", "b"], &["y"], vec![]))
        .init(zeros("b", &[3, 1]))
        .ok();
    assert_eq!(shape(&g, "y"), vec![2, 3, 4]);
    let g = unary_model(13, &[2, 3, 4], node("Transpose", &["x"], &["y"], vec![])).ok();
    assert_eq!(shape(&g, "y"), vec![4, 3, 2]);
    let g = unary_model(
        13,
        &[1, 2, 3],
        node("Pad", &["x", "p", "v"], &["y"], vec![]),
    )
    .init(ti("p", &[6], &[0, 0, 1, 0, 1, 2]))
    .init(tf("v", &[], &[-1.0]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![1, 3, 6]);
    assert!(matches!(op_of(&g, "y"), Op::Pad { value, .. } if value == -1.0));
    let g = unary_model(
        18,
        &[1, 2, 3],
        node("Pad", &["x", "p", "", "a"], &["y"], vec![]),
    )
    .init(ti("p", &[2], &[2, 1]))
    .init(ti("a", &[1], &[-1]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![1, 2, 6]);
    let g = unary_model(
        10,
        &[1, 2],
        node("Pad", &["x"], &["y"], vec![ais("pads", &[0, 1, 0, 1])]),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![1, 4]);
}

#[test]
fn clip_forms_and_activations() {
    let g = unary_model(
        6 + 4,
        &[3],
        node("Clip", &["x"], &["y"], vec![af("max", 6.0)]),
    )
    .ok();
    assert_eq!(
        op_of(&g, "y"),
        Op::Unary(meshnn::ir::UnaryKind::Clip {
            min: f32::NEG_INFINITY,
            max: 6.0
        })
    );
    let g = unary_model(13, &[3], node("Clip", &["x", "lo"], &["y"], vec![]))
        .init(tf("lo", &[], &[0.0]))
        .ok();
    assert_eq!(
        op_of(&g, "y"),
        Op::Unary(meshnn::ir::UnaryKind::Clip {
            min: 0.0,
            max: f32::INFINITY
        })
    );
    let g = unary_model(13, &[3], node("LeakyRelu", &["x"], &["y"], vec![])).ok();
    assert_eq!(
        op_of(&g, "y"),
        Op::Unary(meshnn::ir::UnaryKind::LeakyRelu { alpha: 0.01 })
    );
    let g = unary_model(13, &[3], node("HardSigmoid", &["x"], &["y"], vec![])).ok();
    assert_eq!(
        op_of(&g, "y"),
        Op::Unary(meshnn::ir::UnaryKind::HardSigmoid {
            alpha: 0.2,
            beta: 0.5
        })
    );
}

#[test]
fn batchnorm_dropout_variadic() {
    let bn = |outs: &[&str], extra_out: bool| {
        let mut m = M::new(13)
            .input("x", &[1, 2, 3, 3])
            .init(tf("s", &[2], &[1.0, 1.0]))
            .init(tf("b", &[2], &[0.0, 0.0]))
            .init(tf("m", &[2], &[0.0, 0.0]))
            .init(tf("v", &[2], &[1.0, 1.0]))
            .node(node(
                "BatchNormalization",
                &["x", "s", "b", "m", "v"],
                outs,
                vec![],
            ))
            .output("y");
        if extra_out {
            m = m.output("rm");
        }
        m
    };
    let g = bn(&["y"], false).ok();
    assert!(matches!(op_of(&g, "y"), Op::BatchNorm { epsilon } if (epsilon - 1e-5).abs() < 1e-9));
    let e = bn(&["y", "rm"], true).err();
    assert!(
        e.contains("'n_y' (BatchNormalization)") && e.contains("output #1"),
        "{e}"
    );

    let g = unary_model(13, &[2], node("Dropout", &["x"], &["y", ""], vec![])).ok();
    assert_eq!(op_of(&g, "y"), Op::Identity);
    let e = M::new(13)
        .input("x", &[2])
        .node(node("Dropout", &["x"], &["y", "mask"], vec![]))
        .output("y")
        .output("mask")
        .err();
    assert!(e.contains("mask"), "{e}");

    let g = M::new(13)
        .input("a", &[2, 3])
        .input("b", &[3])
        .input("c", &[1, 1])
        .node(node("Mean", &["a", "b", "c"], &["y"], vec![]))
        .output("y")
        .ok();
    assert_eq!(shape(&g, "y"), vec![2, 3]);
    assert_eq!(g.nodes[0].inputs.len(), 3);
    let g = unary_model(13, &[2], node("Sum", &["x"], &["y"], vec![])).ok();
    assert_eq!(op_of(&g, "y"), Op::Identity);
}

#[test]
fn plumbing_ops_fold_to_constants() {
    let g = M::new(13)
        .input("x", &[2, 3])
        .node(node(
            "Constant",
            &[],
            &["c"],
            vec![ais("value_ints", &[2, 1])],
        ))
        .node(node(
            "ConstantOfShape",
            &["c"],
            &["z"],
            vec![at("value", tf("", &[1], &[2.5]))],
        ))
        .node(node("Cast", &["c"], &["cf"], vec![ai("to", 1)]))
        .node(node("Range", &["r0", "r1", "r2"], &["r"], vec![]))
        .node(node("Expand", &["x", "c2"], &["y"], vec![]))
        .node(node("Cast", &["y"], &["yc"], vec![ai("to", 1)]))
        .node(node("Add", &["yc", "z"], &["out"], vec![]))
        .init(ti("r0", &[], &[1]))
        .init(ti("r1", &[], &[8]))
        .init(ti("r2", &[], &[3]))
        .init(ti("c2", &[3], &[4, 1, 1]))
        .output("out")
        .output("cf")
        .output("r")
        .ok();
    assert_eq!(data(&g, "z"), Some(Data::F32(vec![2.5; 2])));
    assert_eq!(data(&g, "cf"), Some(Data::F32(vec![2.0, 1.0])));
    assert_eq!(data(&g, "r"), Some(Data::I64(vec![1, 4, 7])));
    assert_eq!(shape(&g, "y"), vec![4, 2, 3]);
    assert_eq!(op_of(&g, "y"), Op::Expand);
    assert_eq!(op_of(&g, "yc"), Op::Identity);
    assert_eq!(op_of(&g, "c"), Op::ConstOnly);
    assert_eq!(shape(&g, "out"), vec![4, 2, 3]);
    let e = unary_model(13, &[2], node("Cast", &["x"], &["y"], vec![ai("to", 7)])).err();
    assert!(e.contains("run-time cast"), "{e}");
}

#[test]
fn torch_shape_chain_folds_reshape_target() {
    // Shape(x) -> Gather(0) -> Unsqueeze(0) -> Concat([n, -1]) -> Reshape(x).
    let g = M::new(13)
        .input("x", &[1, 3, 4, 4])
        .init(ti("i0", &[], &[0]))
        .init(ti("ax", &[1], &[0]))
        .init(ti("m1", &[1], &[-1]))
        .node(node("Shape", &["x"], &["s"], vec![]))
        .node(node("Gather", &["s", "i0"], &["n"], vec![]))
        .node(node("Unsqueeze", &["n", "ax"], &["nu"], vec![]))
        .node(node(
            "Concat",
            &["nu", "m1"],
            &["target"],
            vec![ai("axis", 0)],
        ))
        .node(node("Reshape", &["x", "target"], &["y"], vec![]))
        .output("y")
        .ok();
    assert_eq!(data(&g, "target"), Some(Data::I64(vec![1, -1])));
    assert_eq!(shape(&g, "y"), vec![1, 48]);
    let reshape = g
        .nodes
        .iter()
        .find(|n| n.onnx_op == "Reshape")
        .expect("reshape");
    assert_eq!(reshape.op, Op::Reshape);
    assert_eq!(reshape.inputs, vec![g.find_tensor("x").expect("x")]);
    assert!(g
        .nodes
        .iter()
        .filter(|n| n.onnx_op != "Reshape")
        .all(|n| n.op == Op::ConstOnly));
    let s = g.find_tensor("s").expect("s");
    assert_eq!(g.tensor(s).data, Some(Data::I64(vec![1, 3, 4, 4])));
}

#[test]
fn shape_start_end() {
    let g = unary_model(
        15,
        &[2, 3, 4],
        node("Shape", &["x"], &["y"], vec![ai("start", 1), ai("end", -1)]),
    )
    .ok();
    assert_eq!(data(&g, "y"), Some(Data::I64(vec![3])));
}

// ---------------------------------------------------------------- initialisers

#[test]
fn initialiser_typed_and_raw_forms() {
    let mut raw = tf("r", &[2], &[]);
    raw.raw_data = [1.5f32, -2.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let mut dbl = TensorProto::new();
    dbl.name = "d".into();
    dbl.dims = vec![2];
    dbl.data_type = 11;
    dbl.double_data = vec![0.25, 4.0];
    let mut i32t = TensorProto::new();
    i32t.name = "i".into();
    i32t.dims = vec![2];
    i32t.data_type = 6;
    i32t.int32_data = vec![7, -3];
    let mut raw64 = ti("l", &[2], &[]);
    raw64.raw_data = [5i64, -6].iter().flat_map(|v| v.to_le_bytes()).collect();
    let g = M::new(13)
        .input("x", &[2])
        .init(tf("f", &[2], &[1.0, 2.0]))
        .init(raw)
        .init(dbl)
        .init(i32t)
        .init(raw64)
        .node(node("Sum", &["x", "f", "r", "d"], &["y"], vec![]))
        .node(node("Concat", &["i", "l"], &["il"], vec![ai("axis", 0)]))
        .output("y")
        .output("il")
        .ok();
    assert_eq!(data(&g, "f"), Some(Data::F32(vec![1.0, 2.0])));
    assert_eq!(data(&g, "r"), Some(Data::F32(vec![1.5, -2.0])));
    assert_eq!(data(&g, "d"), Some(Data::F32(vec![0.25, 4.0])));
    assert_eq!(data(&g, "il"), Some(Data::I64(vec![7, -3, 5, -6])));
    assert_eq!(g.inputs.len(), 1);
}

#[test]
fn initialiser_listed_as_input_is_constant() {
    let g = M::new(13)
        .input("x", &[2])
        .input("w", &[2])
        .init(tf("w", &[2], &[1.0, 2.0]))
        .node(node("Add", &["x", "w"], &["y"], vec![]))
        .output("y")
        .ok();
    assert_eq!(g.inputs, vec![g.find_tensor("x").expect("x")]);
}

fn external_model(dir: &std::path::Path, file_bytes: &[u8]) -> std::path::PathBuf {
    std::fs::write(dir.join("weights.bin"), file_bytes).expect("write data");
    let mut w = tf("w", &[3], &[]);
    w.data_location = DataLocation::EXTERNAL.into();
    for (k, v) in [
        ("location", "weights.bin"),
        ("offset", "4"),
        ("length", "12"),
    ] {
        let mut e = StringStringEntryProto::new();
        e.key = k.into();
        e.value = v.into();
        w.external_data.push(e);
    }
    let bytes = M::new(13)
        .input("x", &[3])
        .init(w)
        .node(node("Mul", &["x", "w"], &["y"], vec![]))
        .output("y")
        .bytes();
    let path = dir.join("model.onnx");
    std::fs::write(&path, bytes).expect("write model");
    path
}

#[test]
fn external_data_is_read_relative_to_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file: Vec<u8> = [9.0f32, 1.0, 2.0, 3.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let path = external_model(dir.path(), &file);
    let g = import_file(&path).expect("import");
    assert_eq!(data(&g, "w"), Some(Data::F32(vec![1.0, 2.0, 3.0])));
}

#[test]
fn external_data_short_or_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = external_model(dir.path(), &[0u8; 10]);
    let e = import_file(&path).expect_err("short file").to_string();
    assert!(
        e.contains("external data of tensor 'w'") && e.contains("has 10 bytes"),
        "{e}"
    );
    std::fs::remove_file(dir.path().join("weights.bin")).expect("rm");
    let e = import_file(&path).expect_err("missing file").to_string();
    assert!(
        e.contains("cannot read") && e.contains("weights.bin"),
        "{e}"
    );
    let e = import_bytes(&std::fs::read(&path).expect("read"), None)
        .expect_err("no base")
        .to_string();
    assert!(e.contains("without a base directory"), "{e}");
}

// ---------------------------------------------------------------- graph-level behaviour

#[test]
fn batch_dimension_bound_with_note() {
    let g = M::new(13)
        .input_dims("x", 1, &[D::P("N"), D::V(3)])
        .node(node("Relu", &["x"], &["y"], vec![]))
        .output("y")
        .ok();
    assert_eq!(shape(&g, "y"), vec![1, 3]);
    assert_eq!(
        g.notes,
        vec!["batch dimension of input 'x' ('N') bound to 1".to_string()]
    );
}

#[test]
fn node_names_made_unique_and_order_fixed() {
    let mut a = node("Relu", &["x"], &["a"], vec![]);
    a.name = String::new();
    let mut b = node("Relu", &["a"], &["b"], vec![]);
    b.name = "dup".into();
    let mut c = node("Relu", &["b"], &["c"], vec![]);
    c.name = "dup".into();
    // Given out of order: c, b, a.
    let g = M::new(13)
        .input("x", &[2])
        .node(c)
        .node(b)
        .node(a)
        .output("c")
        .ok();
    let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, vec!["Relu_2", "dup_1", "dup"]);
}

#[test]
fn cycle_is_an_error() {
    let e = M::new(13)
        .input("x", &[2])
        .node(node("Add", &["x", "b"], &["a"], vec![]))
        .node(node("Relu", &["a"], &["b"], vec![]))
        .output("b")
        .err();
    assert!(e.contains("cycle"), "{e}");
}

#[test]
fn registry_is_sorted_and_complete() {
    let ops = supported_ops();
    assert!(ops.windows(2).all(|w| w[0].name < w[1].name));
    for name in ["Conv", "Gemm", "Slice", "Range", "HardSwish", "Dropout"] {
        assert!(ops.iter().any(|o| o.name == name), "{name}");
    }
    assert_eq!(
        ops.iter().find(|o| o.name == "HardSwish").map(|o| o.since),
        Some(14)
    );
}

// ---------------------------------------------------------------- errors

#[test]
fn error_empty_random_truncated() {
    let e = import_bytes(&[], None).expect_err("empty").to_string();
    assert!(e.contains("empty"), "{e}");
    let mut seed = 0x2545F4914F6CDD1Du64;
    for len in [1usize, 7, 64, 1000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let e = import_bytes(&bytes, None).expect_err("random").to_string();
        assert!(!e.contains('\n'), "{e}");
        assert!(!e.is_empty());
    }
    let bytes = M::new(13)
        .input("x", &[64])
        .init(tf("w", &[64], &[1.0; 64]))
        .node(node("Add", &["x", "w"], &["y"], vec![]))
        .output("y")
        .bytes();
    let e = import_bytes(&bytes[..bytes.len() / 2], None)
        .expect_err("truncated")
        .to_string();
    assert!(e.contains("not an ONNX model, or a truncated one"), "{e}");
}

#[test]
fn error_missing_graph_and_old_opset() {
    let mut m = M::new(13).proto();
    m.graph = None.into();
    let e = import_bytes(&m.write_to_bytes().expect("ser"), None)
        .expect_err("no graph")
        .to_string();
    assert!(e.contains("has no graph"), "{e}");
    // Opset 6 models import per operator; an operator newer than the model's opset names
    // the oldest opset meshnn accepts it at.
    unary_model(6, &[2], node("Relu", &["x"], &["y"], vec![])).ok();
    let e = unary_model(6, &[2], node("HardSwish", &["x"], &["y"], vec![])).err();
    assert_eq!(
        e,
        "unsupported operator HardSwish (opset 6) at node 'n_y': meshnn supports HardSwish from opset 14 on; convert the model with onnx.version_converter.convert_version(model, 14)"
    );
    let e = M::new(6)
        .input("x", &[2, 3])
        .node(node("Expand", &["x", "s"], &["y"], vec![]))
        .init(ti("s", &[2], &[2, 3]))
        .output("y")
        .err();
    assert!(
        e.contains("Expand (opset 6) at node 'n_y'")
            && e.contains("from opset 8")
            && e.contains("convert_version(model, 13)"),
        "{e}"
    );
}

/// The IR shape of input `k` of the node producing `output`.
fn input_shape(g: &Graph, output: &str, k: usize) -> Vec<usize> {
    let id = g.find_tensor(output).expect("tensor");
    let n = g
        .nodes
        .iter()
        .find(|n| n.outputs.contains(&id))
        .expect("producer");
    g.tensor(n.inputs[k]).shape.clone()
}

#[test]
fn legacy_binary_broadcast_axis() {
    // Constant B [3] aligned at axis 1 of A [2, 3, 4]: viewed as [3, 1].
    let g = M::new(6)
        .input("a", &[2, 3, 4])
        .init(tf("b", &[3], &[1.0, 2.0, 3.0]))
        .node(node(
            "Add",
            &["a", "b"],
            &["y"],
            vec![ai("broadcast", 1), ai("axis", 1)],
        ))
        .output("y")
        .ok();
    assert_eq!(shape(&g, "y"), vec![2, 3, 4]);
    assert_eq!(input_shape(&g, "y", 1), vec![3, 1]);
    // A run-time B gets an inserted Reshape to [3, 1].
    let g = M::new(6)
        .input("a", &[2, 3, 4])
        .input("b", &[3])
        .node(node(
            "Mul",
            &["a", "b"],
            &["y"],
            vec![ai("broadcast", 1), ai("axis", 1)],
        ))
        .output("y")
        .ok();
    assert_eq!(shape(&g, "y"), vec![2, 3, 4]);
    assert_eq!(input_shape(&g, "y", 1), vec![3, 1]);
    let view = g.nodes[0].outputs[0];
    assert!(matches!(g.nodes[0].op, Op::Reshape));
    assert_eq!(g.tensor(view).shape, vec![3, 1]);
    // Without axis: suffix alignment (numpy), no view needed.
    let g = M::new(6)
        .input("a", &[2, 3, 4])
        .init(zeros("b", &[4]))
        .node(node("Sub", &["a", "b"], &["y"], vec![ai("broadcast", 1)]))
        .output("y")
        .ok();
    assert_eq!(input_shape(&g, "y", 1), vec![4]);
    // broadcast = 0 needs equal shapes; a B that does not fit at axis is an error.
    let e = M::new(6)
        .input("a", &[2, 3])
        .init(zeros("b", &[3]))
        .node(node("Div", &["a", "b"], &["y"], vec![]))
        .output("y")
        .err();
    assert!(e.contains("broadcast = 0"), "{e}");
    let e = M::new(6)
        .input("a", &[2, 3, 4])
        .init(zeros("b", &[4]))
        .node(node(
            "Add",
            &["a", "b"],
            &["y"],
            vec![ai("broadcast", 1), ai("axis", 1)],
        ))
        .output("y")
        .err();
    assert!(e.contains("does not broadcast onto A"), "{e}");
    // Both constant: folds through the view.
    let g = M::new(6)
        .init(tf("a", &[2, 2], &[1.0, 2.0, 3.0, 4.0]))
        .init(tf("b", &[2], &[10.0, 20.0]))
        .node(node(
            "Add",
            &["a", "b"],
            &["y"],
            vec![ai("broadcast", 1), ai("axis", 0)],
        ))
        .output("y")
        .ok();
    assert_eq!(data(&g, "y"), Some(Data::F32(vec![11.0, 12.0, 23.0, 24.0])));
}

#[test]
fn legacy_gemm_batchnorm_and_attribute_forms() {
    let gemm = |attrs: Vec<AttributeProto>, c: &[i64]| {
        M::new(6)
            .input("a", &[2, 3])
            .init(zeros("b", &[3, 4]))
            .init(zeros("c", c))
            .node(node("Gemm", &["a", "b", "c"], &["y"], attrs))
            .output("y")
    };
    let g = gemm(vec![ai("broadcast", 1)], &[4]).ok();
    assert_eq!(shape(&g, "y"), vec![2, 4]);
    gemm(vec![], &[2, 4]).ok();
    let e = gemm(vec![], &[4]).err();
    assert!(e.contains("broadcast = 0"), "{e}");

    let bn = |attrs: Vec<AttributeProto>| {
        M::new(6)
            .input("x", &[1, 2, 3, 3])
            .init(zeros("s", &[2]))
            .init(zeros("b", &[2]))
            .init(zeros("m", &[2]))
            .init(zeros("v", &[2]))
            .node(node(
                "BatchNormalization",
                &["x", "s", "b", "m", "v"],
                &["y"],
                attrs,
            ))
            .output("y")
    };
    let g = bn(vec![ai("is_test", 1), af("epsilon", 1e-3)]).ok();
    assert_eq!(shape(&g, "y"), vec![1, 2, 3, 3]);
    assert!(matches!(op_of(&g, "y"), Op::BatchNorm { epsilon } if epsilon == 1e-3));
    let e = bn(vec![ai("is_test", 1), ai("spatial", 0)]).err();
    assert!(e.contains("spatial = 0"), "{e}");

    // Reshape < 5 (attribute), Concat < 4 (axis 1), Pad 2 / Pad 1, Split 1 (input).
    let g = unary_model(
        4,
        &[2, 6],
        node("Reshape", &["x"], &["y"], vec![ais("shape", &[0, 3, -1])]),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![2, 3, 2]);
    let g = M::new(3)
        .input("x", &[2, 3])
        .node(node("Concat", &["x", "x"], &["y"], vec![]))
        .output("y")
        .ok();
    assert_eq!(shape(&g, "y"), vec![2, 6]);
    let g = unary_model(
        2,
        &[1, 2],
        node(
            "Pad",
            &["x"],
            &["y"],
            vec![ais("pads", &[0, 1, 0, 2]), af("value", 1.5)],
        ),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![1, 5]);
    let g = unary_model(
        1,
        &[1, 2],
        node("Pad", &["x"], &["y"], vec![ais("paddings", &[1, 0, 0, 0])]),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![2, 2]);
    let g = M::new(1)
        .input("x", &[5, 2])
        .init(ti("s", &[2], &[2, 3]))
        .node(node("Split", &["x", "s"], &["y", "z"], vec![]))
        .output("y")
        .output("z")
        .ok();
    assert_eq!(shape(&g, "z"), vec![3, 2]);
    // Cast 1 names the type with a string.
    let g = unary_model(
        1,
        &[2],
        node("Cast", &["x"], &["y"], vec![astr("to", "FLOAT")]),
    )
    .ok();
    assert!(matches!(op_of(&g, "y"), Op::Identity));
    // consumed_inputs (opset < 6) is ignored.
    let g = unary_model(
        5,
        &[2],
        node("Relu", &["x"], &["y"], vec![ais("consumed_inputs", &[0])]),
    )
    .ok();
    assert_eq!(shape(&g, "y"), vec![2]);
}

#[test]
fn error_unsupported_lists_every_node() {
    let mut custom = node("MyOp", &["a"], &["b"], vec![]);
    custom.domain = "com.example".into();
    let e = M::new(13)
        .input("x", &[1, 1, 4, 4])
        .node(node("Resize", &["x"], &["a"], vec![]))
        .node(custom)
        .node(node("Scan", &["b"], &["c"], vec![]))
        .output("c")
        .err();
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 3, "{e}");
    assert_eq!(
        lines[0],
        "unsupported operator Resize (opset 13) at node 'n_a'; see SUPPORTED_OPS.md for what meshnn supports"
    );
    assert!(
        lines[1].contains("com.example::MyOp") && lines[1].contains("'n_b'"),
        "{e}"
    );
    assert!(lines[2].contains("Scan"), "{e}");
    // An operator newer than the model's opset is unsupported too.
    let e = unary_model(13, &[2], node("HardSwish", &["x"], &["y"], vec![])).err();
    assert!(
        e.contains("unsupported operator HardSwish (opset 13)"),
        "{e}"
    );
}

/// A quantised model with an operator of the QOperator form meshnn does not import
/// (DynamicQuantizeLinear, onnxruntime's dynamic quantisation) is refused with a line per
/// operator and says what to do (cnn32_qop, QLinearConv, compiles: compiler/tests/int8.rs).
#[test]
fn quantised_model_is_refused_per_operator_with_a_hint() {
    let e = unary_model(
        13,
        &[2],
        node("DynamicQuantizeLinear", &["x"], &["y", "s", "z"], vec![]),
    )
    .err();
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 2, "{e}");
    assert!(
        lines[0].starts_with("unsupported operator DynamicQuantizeLinear (opset 13)"),
        "{e}"
    );
    assert!(
        lines[1].contains("quantised (int8) model")
            && lines[1].contains("QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger")
            && lines[1].contains("QuantFormat.QDQ")
            && lines[1].contains("float model"),
        "{e}"
    );
}

/// A uint8 constant of `dims` holding `v` everywhere.
fn tu8(name: &str, dims: &[i64], v: i32) -> TensorProto {
    let mut t = TensorProto::new();
    t.name = name.into();
    t.dims = dims.to_vec();
    t.data_type = 2;
    t.int32_data = vec![v; dims.iter().product::<i64>() as usize];
    t
}

/// x quantised to uint8 at run time, then ConvInteger with `c` input channels of 1x1
/// weights 255 (zero points 0): sums reach 255 * 255 * c.
fn conv_integer_model(c: i64) -> M {
    M::new(13)
        .input("x", &[1, c, 2, 2])
        .init(tf("s", &[], &[0.5]))
        .init(tu8("z", &[], 0))
        .init(tu8("w", &[1, c, 1, 1], 255))
        .node(node("QuantizeLinear", &["x", "s", "z"], &["xq"], vec![]))
        .node(node("ConvInteger", &["xq", "w"], &["y"], vec![]))
        .output("y")
}

/// ConvInteger is lowered exactly in float32: a node whose int32 sums could pass 2^24
/// is refused, naming the node and the bound; one below it imports.
#[test]
fn conv_integer_beyond_float_exactness_is_refused() {
    conv_integer_model(258).ok();
    let e = conv_integer_model(259).err();
    assert!(
        e.contains("n_y")
            && e.contains("ConvInteger")
            && e.contains("2^24")
            && e.contains("16841475"),
        "{e}"
    );
}

/// QLinearConv takes a per-tensor x: a per-channel x_scale is refused at import.
#[test]
fn qlinear_conv_with_per_channel_input_scale_is_refused() {
    let e = M::new(13)
        .input("x", &[1, 2, 2, 2])
        .init(tf("s", &[], &[0.5]))
        .init(tf("s2", &[2], &[0.5, 0.25]))
        .init(tu8("z", &[], 0))
        .init(tu8("z2", &[2], 0))
        .init(tu8("w", &[1, 2, 1, 1], 3))
        .node(node("QuantizeLinear", &["x", "s", "z"], &["xq"], vec![]))
        .node(node(
            "QLinearConv",
            &["xq", "s2", "z2", "w", "s", "z", "s", "z"],
            &["y"],
            vec![],
        ))
        .output("y")
        .err();
    assert!(e.contains("n_y") && e.contains("per tensor"), "{e}");
}

#[test]
fn error_dynamic_non_batch_dimension() {
    let e = M::new(13)
        .input_dims("x", 1, &[D::V(1), D::P("seq"), D::V(3)])
        .node(node("Relu", &["x"], &["y"], vec![]))
        .output("y")
        .err();
    assert!(
        e.contains("input 'x'") && e.contains("'seq' at axis 1") && e.contains("static shapes"),
        "{e}"
    );
}

#[test]
fn error_non_float_input_dtype() {
    let e = M::new(13)
        .input_dims("ids", 7, &[D::V(4)])
        .node(node("Relu", &["ids"], &["y"], vec![]))
        .output("y")
        .err();
    assert!(e.contains("tensor 'ids'") && e.contains("int64"), "{e}");
}

#[test]
fn error_non_constant_reshape_shape() {
    let e = M::new(13)
        .input("x", &[2, 3])
        .input("s", &[2])
        .node(node("Reshape", &["x", "s"], &["y"], vec![]))
        .output("y")
        .err();
    assert!(
        e.contains("input 's' of node 'n_y' (Reshape)") && e.contains("run time"),
        "{e}"
    );
}

#[test]
fn error_attribute_type_and_shape_mismatch() {
    let e = unary_model(
        13,
        &[2, 3],
        node("Flatten", &["x"], &["y"], vec![af("axis", 1.0)]),
    )
    .err();
    assert!(
        e.contains("attribute 'axis' of node 'n_y' (Flatten) has type float, expected int"),
        "{e}"
    );
    let e = unary_model(13, &[2, 3], node("Add", &["x", "b"], &["y"], vec![]))
        .init(zeros("b", &[4]))
        .err();
    assert!(
        e.contains("shape error at node 'n_y' (Add)") && e.contains("[2, 3]"),
        "{e}"
    );
    let e = unary_model(13, &[2, 3], node("Pad", &["x", "p"], &["y"], vec![]))
        .init(ti("p", &[4], &[0, -2, 0, -2]))
        .err();
    assert!(e.contains("crop axis 1 of X [2, 3] below zero"), "{e}");
    let e = unary_model(
        13,
        &[2, 3],
        node("Pad", &["x", "p"], &["y"], vec![astr("mode", "wrap")]),
    )
    .init(ti("p", &[4], &[0, 1, 0, 0]))
    .err();
    assert!(e.contains("'wrap' is not one of"), "{e}");
}

#[test]
fn pad_modes_and_run_time_clip_bounds() {
    let g = unary_model(
        13,
        &[2, 3],
        node("Pad", &["x", "p"], &["y"], vec![astr("mode", "reflect")]),
    )
    .init(ti("p", &[4], &[0, 2, 0, 1]))
    .ok();
    assert!(matches!(
        op_of(&g, "y"),
        Op::Pad {
            mode: meshnn::ir::PadMode::Reflect,
            ..
        }
    ));
    // A negative pad crops: [2, 3] -> [2, 3 - 1 + 2].
    let g = unary_model(13, &[2, 3], node("Pad", &["x", "p"], &["y"], vec![]))
        .init(ti("p", &[4], &[0, -1, 0, 2]))
        .ok();
    assert_eq!(shape(&g, "y"), vec![2, 4]);
    assert!(matches!(op_of(&g, "y"), Op::Pad { ref pads, .. } if pads == &[0, -1, 0, 2]));
    let m = M::new(13)
        .input("x", &[3])
        .input("lo", &[])
        .node(node("Clip", &["x", "lo"], &["y"], vec![]))
        .output("y");
    let g = m.ok();
    assert_eq!(
        op_of(&g, "y"),
        Op::ClipRange {
            has_min: true,
            has_max: false
        }
    );
}

#[test]
fn conv_3d_imports_and_7d_is_a_feature_error() {
    let g = unary_model(
        13,
        &[1, 1, 4, 4, 4],
        node("Conv", &["x", "w"], &["y"], vec![]),
    )
    .init(zeros("w", &[1, 1, 2, 2, 2]))
    .ok();
    assert!(matches!(op_of(&g, "y"), Op::Conv { ref kernel, .. } if kernel == &[2, 2, 2]));
    let e = unary_model(
        13,
        &[1, 1, 2, 2, 2, 2, 2, 2, 2],
        node("Conv", &["x", "w"], &["y"], vec![]),
    )
    .init(zeros("w", &[1, 1, 1, 1, 1, 1, 1, 1, 1]))
    .err();
    assert!(
        e.contains("node 'n_y' (Conv) uses a feature") && e.contains("7-D convolution"),
        "{e}"
    );
}

#[test]
fn error_foreign_domain_without_default_opset() {
    let mut n = node("Adam", &["x"], &["y"], vec![]);
    n.domain = "ai.onnx.preview.training".into();
    let mut m = M::new(1).input("x", &[2]).node(n).output("y").proto();
    m.opset_import[0].domain = "ai.onnx.preview.training".into();
    let e = import_bytes(&m.write_to_bytes().expect("ser"), None)
        .expect_err("foreign")
        .to_string();
    assert_eq!(
        e,
        "unsupported operator ai.onnx.preview.training::Adam (opset 1) at node 'n_y'; see SUPPORTED_OPS.md for what meshnn supports"
    );
}

#[test]
fn slice_extreme_steps_do_not_overflow() {
    let g = unary_model(
        13,
        &[5],
        node("Slice", &["x", "s", "e", "a", "st"], &["y"], vec![]),
    )
    .init(ti("s", &[1], &[i64::MAX]))
    .init(ti("e", &[1], &[i64::MIN]))
    .init(ti("a", &[1], &[0]))
    .init(ti("st", &[1], &[i64::MIN]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![1]);
    let g = unary_model(
        13,
        &[5],
        node("Slice", &["x", "s", "e", "a", "st"], &["y"], vec![]),
    )
    .init(ti("s", &[1], &[1]))
    .init(ti("e", &[1], &[i64::MAX]))
    .init(ti("a", &[1], &[0]))
    .init(ti("st", &[1], &[i64::MAX]))
    .ok();
    assert_eq!(shape(&g, "y"), vec![1]);
}

/// Byte-level mutations of a valid model must give `Ok` or an error, never a panic.
#[test]
fn mutated_models_never_panic() {
    let bytes = M::new(13)
        .input("x", &[1, 2, 6, 6])
        .init(zeros("w", &[4, 2, 3, 3]))
        .init(ti("s", &[2], &[0, -1]))
        .init(ti("st", &[1], &[1]))
        .init(ti("en", &[1], &[3]))
        .init(ti("ax", &[1], &[1]))
        .node(node(
            "Conv",
            &["x", "w"],
            &["c"],
            vec![ais("pads", &[1, 1, 1, 1])],
        ))
        .node(node(
            "MaxPool",
            &["c"],
            &["p"],
            vec![ais("kernel_shape", &[2, 2]), ai("ceil_mode", 1)],
        ))
        .node(node("Reshape", &["p", "s"], &["r"], vec![]))
        .node(node("Slice", &["r", "st", "en", "ax"], &["sl"], vec![]))
        .node(node("Softmax", &["sl"], &["y"], vec![]))
        .output("y")
        .bytes();
    assert!(import_bytes(&bytes, None).is_ok());
    let mut seed = 0x9E3779B97F4A7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut errors = 0;
    for _ in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..1 + next() % 3 {
            let i = (next() as usize) % b.len();
            b[i] = next() as u8;
        }
        if next() % 8 == 0 {
            let cut = (next() as usize) % b.len();
            b.truncate(cut);
        }
        if let Err(e) = import_bytes(&b, None) {
            errors += 1;
            assert!(!e.to_string().is_empty());
        }
    }
    assert!(errors > 0, "mutations should produce some errors");
}

// ---------------------------------------------------------------- recurrent (RNN, GRU, LSTM)

/// A recurrent node over a runtime X [5, 2, 3] (layout 0) with zero W and R of `gates`
/// gates, hidden 4, `dirs` directions.
fn recurrent_model(
    op: &str,
    gates: i64,
    dirs: i64,
    outputs: &[&str],
    attrs: Vec<AttributeProto>,
) -> M {
    let mut m = M::new(14)
        .input("x", &[5, 2, 3])
        .init(zeros("W", &[dirs, gates * 4, 3]))
        .init(zeros("R", &[dirs, gates * 4, 4]))
        .node(node(op, &["x", "W", "R"], outputs, attrs));
    for o in outputs.iter().filter(|o| !o.is_empty()) {
        m = m.output(o);
    }
    m
}

#[test]
fn lstm_bidirectional_omitted_y() {
    let bi = vec![astr("direction", "bidirectional"), ai("hidden_size", 4)];
    let g = recurrent_model("LSTM", 4, 2, &["", "yh", "yc"], bi).ok();
    assert_eq!(shape(&g, "yh"), vec![2, 2, 4]);
    assert_eq!(shape(&g, "yc"), vec![2, 2, 4]);
    let Op::Recurrent(r) = op_of(&g, "yh") else {
        panic!("not a recurrent op")
    };
    assert_eq!((r.has_y, r.has_y_h, r.has_y_c), (false, true, true));
    assert_eq!(r.outputs(), [None, Some(0), Some(1)]);
}

#[test]
fn gru_and_rnn_shapes_with_layout() {
    let g = recurrent_model("GRU", 3, 1, &["y", "yh"], vec![ai("layout", 1)]).ok();
    // layout 1: X is [batch 5, seq 2, input 3].
    assert_eq!(shape(&g, "y"), vec![5, 2, 1, 4]);
    assert_eq!(shape(&g, "yh"), vec![5, 1, 4]);
    let g = recurrent_model("RNN", 1, 1, &["y"], vec![]).ok();
    assert_eq!(shape(&g, "y"), vec![5, 1, 2, 4]);
}

#[test]
fn recurrent_unsupported_attributes_are_errors() {
    let e = recurrent_model("LSTM", 4, 1, &["y"], vec![af("clip", 3.0)]).err();
    assert!(e.contains("clip") && e.contains("LSTM"), "{e}");
    let e = recurrent_model("LSTM", 4, 1, &["y"], vec![ai("input_forget", 1)]).err();
    assert!(e.contains("input_forget"), "{e}");
    let mut acts = attr("activations", AttributeType::STRINGS);
    acts.strings = vec![b"Relu".to_vec()];
    let e = recurrent_model("RNN", 1, 1, &["y"], vec![acts]).err();
    assert!(e.contains("Relu") && e.contains("not supported"), "{e}");
    let e = recurrent_model("GRU", 3, 1, &["y"], vec![astr("direction", "up")]).err();
    assert!(e.contains("direction"), "{e}");
    let e = recurrent_model("GRU", 3, 1, &["y"], vec![ai("hidden_size", 5)]).err();
    assert!(e.contains("hidden_size"), "{e}");
}

#[test]
fn recurrent_runtime_weights_and_partial_sequences_are_errors() {
    let e = M::new(14)
        .input("x", &[5, 2, 3])
        .input("W", &[1, 4, 3])
        .init(zeros("R", &[1, 4, 4]))
        .node(node("RNN", &["x", "W", "R"], &["y"], vec![]))
        .output("y")
        .err();
    assert!(e.contains("'W'") && e.contains("compile time"), "{e}");
    let lens = |v: &[i64]| {
        M::new(14)
            .input("x", &[5, 2, 3])
            .init(zeros("W", &[1, 4, 3]))
            .init(zeros("R", &[1, 4, 4]))
            .init(ti("lens", &[2], v))
            .node(node("RNN", &["x", "W", "R", "", "lens"], &["y"], vec![]))
            .output("y")
    };
    lens(&[5, 5]).ok();
    let e = lens(&[5, 3]).err();
    assert!(e.contains("sequence_lens"), "{e}");
}

// ---------------------------------------------------------------- math, comparisons, Where

#[test]
fn int64_mod_of_shape_arithmetic_folds() {
    // torch's legacy MultiheadAttention export: Shape -> Gather -> Mod (Python sign).
    let g = M::new(13)
        .input("x", &[1, 6, 4])
        .init(ti("i1", &[], &[1]))
        .init(ti("k", &[], &[-4]))
        .node(node("Shape", &["x"], &["s"], vec![]))
        .node(node("Gather", &["s", "i1"], &["n"], vec![]))
        .node(node("Mod", &["n", "k"], &["r"], vec![]))
        .node(node("Mod", &["n", "k"], &["rf"], vec![ai("fmod", 1)]))
        .node(node("Relu", &["x"], &["y"], vec![]))
        .output("y")
        .output("r")
        .output("rf")
        .ok();
    // 6 mod -4 = -2 (sign of the divisor); fmod(6, -4) = 2.
    assert_eq!(data(&g, "r"), Some(Data::I64(vec![-2])));
    assert_eq!(data(&g, "rf"), Some(Data::I64(vec![2])));
}

#[test]
fn where_of_a_runtime_comparison_stays_at_run_time() {
    let g = M::new(13)
        .input("x", &[2, 3])
        .init(tf("zero", &[], &[0.0]))
        .node(node("Less", &["x", "zero"], &["m"], vec![]))
        .node(node("Neg", &["x"], &["nx"], vec![]))
        .node(node("Where", &["m", "nx", "x"], &["y"], vec![]))
        .node(node("Not", &["m"], &["nm"], vec![]))
        .output("y")
        .output("nm")
        .ok();
    assert_eq!(op_of(&g, "y"), Op::Where);
    assert_eq!(
        op_of(&g, "m"),
        Op::Binary {
            kind: BinaryKind::Less,
            act: Activation::None
        }
    );
    let m = g.find_tensor("nm").expect("nm");
    assert_eq!(g.tensors[m].dtype, DType::Bool);
    assert_eq!(shape(&g, "y"), vec![2, 3]);
}

#[test]
fn math_attribute_and_type_errors_name_the_node() {
    let gelu = node("Gelu", &["x"], &["y"], vec![astr("approximate", "fast")]);
    let e = unary_model(20, &[2], gelu).err();
    assert!(e.contains("approximate") && e.contains("tanh"), "{e}");
    let m = M::new(13)
        .input("x", &[2])
        .init(tf("d", &[], &[2.0]))
        .node(node("Mod", &["x", "d"], &["y"], vec![ai("fmod", 2)]))
        .output("y")
        .err();
    assert!(m.contains("fmod") && m.contains("0 or 1"), "{m}");
    let and = M::new(13)
        .input("x", &[2])
        .node(node("And", &["x", "x"], &["y"], vec![]))
        .output("y")
        .err();
    assert!(and.contains("bool"), "{and}");
    let w = M::new(13)
        .input("x", &[2])
        .node(node("Where", &["x", "x", "x"], &["y"], vec![]))
        .output("y")
        .err();
    assert!(w.contains("condition") && w.contains("bool"), "{w}");
}

#[test]
fn one_input_min_is_identity_and_max_broadcasts() {
    let g = M::new(13)
        .input("x", &[2, 1])
        .input("z", &[3])
        .node(node("Min", &["x"], &["a"], vec![]))
        .node(node("Max", &["x", "z"], &["y"], vec![]))
        .output("a")
        .output("y")
        .ok();
    assert_eq!(op_of(&g, "a"), Op::Identity);
    assert_eq!(shape(&g, "y"), vec![2, 3]);
}

// ---------------------------------------------------------------- graphs onnxruntime rejects

#[test]
fn a_value_defined_twice_is_rejected() {
    // Two nodes producing one tensor.
    let e = M::new(13)
        .input("x", &[2])
        .node(node("Relu", &["x"], &["y"], vec![]))
        .node(node("Neg", &["x"], &["y"], vec![]))
        .output("y")
        .err();
    assert!(
        e.contains("'y'") && e.contains("n_y") && e.contains("assigned once"),
        "{e}"
    );
    // A node output named like a graph input, and like an initializer.
    let e = M::new(13)
        .input("x", &[2])
        .node(node("Relu", &["x"], &["x"], vec![]))
        .output("x")
        .err();
    assert!(e.contains("'x'") && e.contains("graph input"), "{e}");
    let e = M::new(13)
        .input("x", &[2])
        .init(tf("w", &[2], &[1.0, 2.0]))
        .node(node("Add", &["x", "w"], &["w"], vec![]))
        .output("w")
        .err();
    assert!(e.contains("'w'") && e.contains("initializer"), "{e}");
    // Duplicate graph inputs, duplicate initializers.
    let e = M::new(13)
        .input("x", &[2])
        .input("x", &[3])
        .node(node("Relu", &["x"], &["y"], vec![]))
        .output("y")
        .err();
    assert!(
        e.contains("graph input 'x'") && e.contains("more than once"),
        "{e}"
    );
    let e = M::new(13)
        .input("x", &[2])
        .init(tf("w", &[2], &[1.0, 2.0]))
        .init(tf("w", &[2], &[3.0, 4.0]))
        .node(node("Add", &["x", "w"], &["y"], vec![]))
        .output("y")
        .err();
    assert!(
        e.contains("initializer 'w'") && e.contains("more than once"),
        "{e}"
    );
}

#[test]
fn an_input_with_an_initializer_is_its_default_and_noted() {
    let g = M::new(13)
        .input("x", &[2])
        .input("w", &[2])
        .init(tf("w", &[2], &[1.0, 2.0]))
        .node(node("Add", &["x", "w"], &["y"], vec![]))
        .output("y")
        .ok();
    assert_eq!(g.inputs.len(), 1);
    assert!(
        g.notes
            .iter()
            .any(|n| n.contains("'w'") && n.contains("default")),
        "{:?}",
        g.notes
    );
}

#[test]
fn duplicate_and_unknown_attributes_are_rejected() {
    let twice = node(
        "Softmax",
        &["x"],
        &["y"],
        vec![ai("axis", 0), ai("axis", 1)],
    );
    let e = unary_model(13, &[2, 3], twice).err();
    assert!(
        e.contains("'axis'") && e.contains("more than once") && e.contains("n_y"),
        "{e}"
    );
    let typo = node("Relu", &["x"], &["y"], vec![af("alpha", 0.1)]);
    let e = unary_model(13, &[2], typo).err();
    assert!(
        e.contains("'alpha'") && e.contains("Relu") && e.contains("not defined"),
        "{e}"
    );
    let conv = node(
        "Conv",
        &["x", "w"],
        &["y"],
        vec![ais("kernel_shape", &[1]), ais("stride", &[2])],
    );
    let e = M::new(13)
        .input("x", &[1, 1, 4])
        .init(zeros("w", &[1, 1, 1]))
        .node(conv)
        .output("y")
        .err();
    assert!(e.contains("'stride'") && e.contains("strides"), "{e}");
    // An attribute of an older opset only: ReduceMean's axes became an input at 18.
    let old = node("ReduceMean", &["x"], &["y"], vec![ais("axes", &[0])]);
    assert_eq!(
        shape(&unary_model(13, &[2, 3], old.clone()).ok(), "y"),
        vec![1, 3]
    );
    let e = unary_model(18, &[2, 3], old).err();
    assert!(e.contains("'axes'") && e.contains("opset 18"), "{e}");
}

#[test]
fn range_with_a_non_finite_operand_is_rejected() {
    for (what, v) in [
        ("limit", f32::NAN),
        ("start", f32::INFINITY),
        ("delta", f32::NEG_INFINITY),
    ] {
        let (s, l, d) = match what {
            "start" => (v, 4.0, 1.0),
            "limit" => (0.0, v, 1.0),
            _ => (0.0, 4.0, v),
        };
        let e = M::new(13)
            .init(tf("s", &[], &[s]))
            .init(tf("l", &[], &[l]))
            .init(tf("d", &[], &[d]))
            .node(node("Range", &["s", "l", "d"], &["y"], vec![]))
            .output("y")
            .err();
        assert!(
            e.contains(what) && e.contains("finite") && e.contains("n_y"),
            "{what}: {e}"
        );
    }
}

/// `driver::prepare_bytes` (the fuzz target's entry) compiles a model held in memory to the
/// same files as `driver::prepare` on the file, and names the model in its errors.
#[test]
fn prepare_bytes_matches_prepare_on_the_file() {
    use meshnn::driver;
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/models/two_input.onnx");
    let emit = |p: driver::Prepared| driver::emit(&driver::deploy_single(p).unwrap()).unwrap();
    let from_file = emit(driver::prepare(&path, true).unwrap());
    let bytes = std::fs::read(&path).unwrap();
    let from_bytes = emit(driver::prepare_bytes(&bytes, "two_input.onnx", true).unwrap());
    let contents = |files: &[meshnn::codegen::File]| -> Vec<(String, String, Option<Vec<u8>>)> {
        files
            .iter()
            .map(|f| (f.path.clone(), f.contents.clone(), f.binary.clone()))
            .collect()
    };
    assert!(!from_file.is_empty());
    assert_eq!(contents(&from_file), contents(&from_bytes));
    let err = driver::prepare_bytes(b"\x08", "junk.onnx", false)
        .err()
        .unwrap()
        .to_string();
    assert!(err.starts_with("junk.onnx: "), "{err}");
}
