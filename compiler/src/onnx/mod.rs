//! ONNX front end: ModelProto -> IR.
