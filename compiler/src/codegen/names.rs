//! Identifiers in generated code, for every target language: ONNX names made safe
//! (`[a-z0-9_]`, not starting with a digit) and the two uniquifying rules the generated
//! code relies on (symbols get `_2`, `_3`...; I/O struct fields get trailing `_`).

use std::collections::HashSet;

/// Turn an ONNX name into an identifier fragment (lower case, `[a-z0-9_]`, not starting
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

/// Field identifiers of tensors named `names`, as the device I/O structs name them:
/// [`ident`], then a trailing `_` until unique.
pub fn field_idents<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = HashSet::new();
    names
        .into_iter()
        .map(|name| {
            let mut id = ident(name);
            while !seen.insert(id.clone()) {
                id.push('_');
            }
            id
        })
        .collect()
}

/// Global symbols of one device: `base`, else `base_2`, `base_3`... first free.
#[derive(Default)]
pub struct Symbols {
    taken: HashSet<String>,
}

impl Symbols {
    pub fn unique(&mut self, base: String) -> String {
        let mut s = base.clone();
        let mut k = 1;
        while self.taken.contains(&s) {
            k += 1;
            s = format!("{base}_{k}");
        }
        self.taken.insert(s.clone());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn identifiers() {
        assert_eq!(ident("conv1/W:0"), "conv1_w_0");
        assert_eq!(ident("0"), "t0");
        assert_eq!(ident("::"), "t");
        assert_eq!(field_idents(["a", "A", "a"]), vec!["a", "a_", "a__"]);
        let mut s = Symbols::default();
        assert_eq!(s.unique("w".into()), "w");
        assert_eq!(s.unique("w".into()), "w_2");
    }
}
