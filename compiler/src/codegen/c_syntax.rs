//! Small helpers that print C99 syntax: float literals, comments, array rows, parameter
//! block initialisers and kernel operands.

use super::lower::{Arg, Buf, Field, Value};

/// A C float literal that reads back as exactly `x` (shortest round-trip digits).
pub fn float_lit(x: f32) -> String {
    if x.is_nan() {
        "NAN".to_string()
    } else if x.is_infinite() {
        if x > 0.0 {
            "HUGE_VALF".into()
        } else {
            "-HUGE_VALF".into()
        }
    } else {
        // Shortest digits that read back exactly: plain decimal when short ("0.5f",
        // "6.0f"), scientific otherwise ("1.2345678e-7f").
        let plain = format!("{x}");
        if plain.len() <= 12 {
            let dot = if plain.contains('.') { "" } else { ".0" };
            format!("{plain}{dot}f")
        } else {
            format!("{x:e}f")
        }
    }
}

/// Text safe inside a C block comment.
pub fn c_comment(s: &str) -> String {
    s.replace("*/", "* /")
        .replace("/*", "/ *")
        .replace(['\n', '\r'], " ")
}

/// `[1x3x32]`.
pub fn shape_str(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join("x"))
}

/// Array initialiser items as rows of eight (`{0}`-safe: at least one item).
pub fn rows_of(items: Vec<String>) -> Vec<String> {
    if items.is_empty() {
        return vec!["0".into()];
    }
    let n = items.len();
    items
        .chunks(8)
        .enumerate()
        .map(|(i, c)| {
            let last = (i + 1) * 8 >= n;
            format!("{}{}", c.join(", "), if last { "" } else { "," })
        })
        .collect()
}

/// Float values as initialiser rows.
pub fn float_rows(values: &[f32]) -> Vec<String> {
    rows_of(values.iter().map(|&v| float_lit(v)).collect())
}

/// A designated initialiser: `{ .a = 1, .b = {2, 3} }`.
pub fn initialiser(fields: &[Field]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|f| format!(".{} = {}", f.name, value(&f.value)))
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

fn value(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(x) => float_lit(*x),
        // C has no empty arrays: rank-0 arrays print as `{0}`.
        Value::Ints(v) if v.is_empty() => "{0}".into(),
        Value::Ints(v) => {
            let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Const(name) => name.to_string(),
        Value::Struct(p) => initialiser(&p.fields),
    }
}

/// A pointer expression for a buffer (`arena` is the device's arena macro).
pub fn pointer(b: &Buf) -> String {
    match b {
        Buf::Arena { off, .. } => format!("arena + {off}"),
        Buf::ArenaI8 { off, .. } => format!("(int8_t *)(arena + {off})"),
        Buf::Const(symbol) => symbol.clone(),
        Buf::Input { ident, .. } => format!("in->{ident}"),
        Buf::Null => "NULL".into(),
        Buf::Unplaced(t) => format!("/* unplaced tensor {t} */ NULL"),
        Buf::Unplanned => "/* unplanned scratch */ NULL".into(),
    }
}

/// The C operands of `args` and the statements that prepare them (for the redundant
/// copies of `mn_mean_arrived_f32`: arrays `xs` and `arrived`). `arrived(k)` is the C
/// condition that received tensor `k` arrived whole.
pub fn operands(args: &[Arg], arrived: impl Fn(usize) -> String) -> (Vec<String>, Vec<String>) {
    let mut pre = Vec::new();
    let mut out = Vec::new();
    for a in args {
        match a {
            Arg::Buf(b) => out.push(pointer(b)),
            Arg::Int(i) => out.push(i.to_string()),
            Arg::Float(x) => out.push(float_lit(*x)),
            Arg::Arrived(copies) => {
                let n = copies.len();
                pre.push(format!("const float *xs[{n}];"));
                pre.push(format!("int32_t arrived[{n}];"));
                for (k, (b, rx)) in copies.iter().enumerate() {
                    pre.push(format!("xs[{k}] = {};", pointer(b)));
                    let cond = rx.map(&arrived).unwrap_or_else(|| "1".into());
                    pre.push(format!("arrived[{k}] = {cond};"));
                }
                out.extend(["xs".to_string(), "arrived".to_string()]);
            }
        }
    }
    (out, pre)
}

#[cfg(test)]
mod tests {
    use super::*;
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
            let back: f32 = s.trim_end_matches('f').parse().unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{s}");
        }
        assert_eq!(float_lit(f32::INFINITY), "HUGE_VALF");
    }
}
