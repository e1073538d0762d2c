//! Small helpers that print C99 syntax: float literals, identifiers, parameter blocks.

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

/// Turn an ONNX name into a C identifier fragment (lower case, `[a-z0-9_]`, not starting
/// with a digit, never empty).
pub fn ident(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let s = s.trim_matches('_').to_string();
    if s.is_empty() {
        "t".into()
    } else if s.as_bytes()[0].is_ascii_digit() {
        format!("t{s}")
    } else {
        s
    }
}

/// A C designated initialiser for a kernel parameter struct, built field by field.
pub struct Params {
    ty: &'static str,
    fields: Vec<String>,
}

impl Params {
    pub fn new(ty: &'static str) -> Self {
        Params {
            ty,
            fields: Vec::new(),
        }
    }
    pub fn int(mut self, name: &str, v: impl Into<i64>) -> Self {
        self.fields.push(format!(".{name} = {}", v.into()));
        self
    }
    pub fn float(mut self, name: &str, v: f32) -> Self {
        self.fields.push(format!(".{name} = {}", float_lit(v)));
        self
    }
    pub fn ints(mut self, name: &str, v: &[i64]) -> Self {
        let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        self.fields
            .push(format!(".{name} = {{{}}}", items.join(", ")));
        self
    }
    pub fn raw(mut self, name: &str, v: String) -> Self {
        self.fields.push(format!(".{name} = {v}"));
        self
    }
    pub fn ty(&self) -> &'static str {
        self.ty
    }
    /// `{ .a = 1, .b = 2 }`
    pub fn init(&self) -> String {
        format!("{{ {} }}", self.fields.join(", "))
    }
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
    #[test]
    fn identifiers() {
        assert_eq!(ident("conv1/W:0"), "conv1_w_0");
        assert_eq!(ident("0"), "t0");
        assert_eq!(ident("::"), "t");
    }
}
