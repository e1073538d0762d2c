"""distill: teacher training, filter activation network, NoNN / resilient partitions,
joint student distillation, ONNX export and failure evaluation for meshnn."""
