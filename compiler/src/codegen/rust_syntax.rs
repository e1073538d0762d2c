//! Small helpers that print Rust syntax for generated device crates: float literals,
//! comments, runtime names (the C runtime's names mapped by the naming rule of
//! `runtime-rs/src/lib.rs`) and parameter block initialisers.

use super::lower::{Field, Value, MAX_DIMS};

/// Words an identifier standing alone must not be in Rust (strict and reserved
/// keywords; `ident` names are lower case, so only the lower-case ones can arise).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop",
    "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "try", "type", "typeof", "union", "unsafe",
    "unsized", "use", "virtual", "where", "while", "yield",
];

/// A struct field name safe in Rust: a C field identifier (already unique, lower case),
/// with `_` appended while it is a keyword or taken by an earlier field.
pub fn field_names(c_idents: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(c_idents.len());
    for id in c_idents {
        let mut f = id.clone();
        while KEYWORDS.contains(&f.as_str()) || out.contains(&f) {
            f.push('_');
        }
        out.push(f);
    }
    out
}

/// A parameter block's field, named as in C: a raw identifier where the C name is a
/// Rust keyword (`mn_conv_nd_params_t.in` is `r#in`).
pub fn field_ident(c: &str) -> String {
    if KEYWORDS.contains(&c) {
        format!("r#{c}")
    } else {
        c.to_string()
    }
}

/// A Rust `f32` expression that is exactly `x` (shortest round-trip digits).
pub fn float_lit(x: f32) -> String {
    if x.is_nan() {
        "f32::NAN".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "f32::INFINITY"
        } else {
            "f32::NEG_INFINITY"
        }
        .into()
    } else {
        // Debug prints the shortest digits that read back exactly, always with a `.` or
        // an exponent (`1.0`, `0.1`, `1e-7`): a valid float literal.
        format!("{x:?}")
    }
}

/// Text safe in a `//` comment (one line).
pub fn comment(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// The Rust name of a runtime kernel: `mn_conv2d_f32` is `conv2d_f32`.
pub fn kernel_name(c: &str) -> &str {
    c.strip_prefix("mn_").unwrap_or(c)
}

/// The Rust type of a C parameter struct: `mn_conv_nd_params_t` is `ConvNdParams`,
/// `mn_act_t` is `Act`.
pub fn type_name(c: &str) -> String {
    let core = c.strip_prefix("mn_").unwrap_or(c);
    let core = core.strip_suffix("_t").unwrap_or(core);
    core.split('_')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The Rust name of a runtime constant: `MN_ACT_RELU` is `ACT_RELU`.
pub fn const_name(c: &str) -> &str {
    c.strip_prefix("MN_").unwrap_or(c)
}

/// The module of meshnn-runtime that holds a C kernel, struct or constant: the int8
/// ones (`mn_conv2d_s8`, `mn_conv_s8_params_t`, `mn_requant_t`, `MN_BINARY_S8_ADD`) are in
/// `kernels_s8`, the rest in `kernels`.
pub fn module_of(c: &str) -> &'static str {
    let lower = c.to_ascii_lowercase();
    if lower.contains("_s8") || lower == "mn_requant_t" {
        "kernels_s8"
    } else {
        "kernels"
    }
}

/// A struct expression for a parameter block: `kernels::ConvParams { n: 1, .. }`.
pub fn params_expr(ty: &str, fields: &[Field]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|f| format!("{}: {}", field_ident(f.name), value(&f.value)))
        .collect();
    format!(
        "{}::{} {{ {} }}",
        module_of(ty),
        type_name(ty),
        fields.join(", ")
    )
}

fn value(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(x) => float_lit(*x),
        // Fixed-size `[i32; MAX_DIMS]` fields, padded with zeros as C pads them.
        Value::Ints(v) => {
            let items: Vec<String> = (0..MAX_DIMS)
                .map(|k| v.get(k).copied().unwrap_or(0).to_string())
                .collect();
            format!("[{}]", items.join(", "))
        }
        Value::Const(name) => format!("{}::{}", module_of(name), const_name(name)),
        Value::Struct(p) => params_expr(p.ty, &p.fields),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::lower::Params;

    #[test]
    fn names_follow_the_runtime_rule() {
        assert_eq!(kernel_name("mn_conv2d_fast_f32"), "conv2d_fast_f32");
        assert_eq!(type_name("mn_conv_nd_params_t"), "ConvNdParams");
        assert_eq!(type_name("mn_mean_arrived_params_t"), "MeanArrivedParams");
        assert_eq!(type_name("mn_act_t"), "Act");
        assert_eq!(const_name("MN_POOL_MAX"), "POOL_MAX");
        assert_eq!(field_ident("in"), "r#in");
        assert_eq!(field_ident("out"), "out");
    }

    #[test]
    fn floats_round_trip() {
        for x in [
            0.0f32,
            1.0,
            -2.5,
            1e-7,
            3.4028235e38,
            0.1,
            f32::MIN_POSITIVE,
        ] {
            let s = float_lit(x);
            let back: f32 = s.parse().unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{s}");
            assert!(
                s.contains('.') || s.contains('e'),
                "{s} is not a float literal"
            );
        }
        assert_eq!(float_lit(f32::NEG_INFINITY), "f32::NEG_INFINITY");
    }

    #[test]
    fn params_become_struct_expressions() {
        let p = Params::new("mn_pool_nd_params_t")
            .int("nd", 2)
            .ints("k", vec![3, 3])
            .konst("kind", "MN_POOL_MAX")
            .float("epsilon", 0.5);
        assert_eq!(
            params_expr(p.ty, &p.fields),
            "kernels::PoolNdParams { nd: 2, k: [3, 3, 0, 0, 0, 0, 0, 0], \
             kind: kernels::POOL_MAX, epsilon: 0.5 }"
        );
        assert_eq!(
            field_names(&["type".into(), "x".into(), "type_".into()]),
            vec!["type_", "x", "type__"]
        );
    }
}
