//! Compile-time evaluation of IR operators on constant inputs.
