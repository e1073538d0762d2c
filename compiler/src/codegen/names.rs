//! Identifiers in generated code, for every target language: ONNX names made safe
//! (`[a-z0-9_]`, not starting with a digit) and the two uniquifying rules the generated
//! code relies on (symbols get `_2`, `_3`...; I/O struct fields get trailing `_`).
//! An identifier that stands alone (a struct field) is never a C keyword or a name the
//! C library may define as a macro: [`RESERVED`] names get a trailing `_`.

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

/// Lower-case words an identifier standing alone must not be: the keywords of C99 and
/// C23 (the `_Upper` ones cannot arise: [`ident`] is lower case and never starts with
/// `_`), and lower-case macros of the C library and of GCC's GNU modes.
pub const RESERVED: &[&str] = &[
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "alignas",
    "alignof",
    "bool",
    "constexpr",
    "false",
    "nullptr",
    "static_assert",
    "thread_local",
    "true",
    "typeof",
    "typeof_unqual",
    "asm",
    "complex",
    "imaginary",
    "noreturn",
    "errno",
    "stdin",
    "stdout",
    "stderr",
    "assert",
    "offsetof",
    "setjmp",
    "va_arg",
    "va_copy",
    "va_end",
    "va_start",
    "linux",
    "unix",
    "i386",
];

/// [`ident`] usable on its own in C: a [`RESERVED`] word gets a trailing `_`.
pub fn standalone_ident(name: &str) -> String {
    let mut id = ident(name);
    if RESERVED.contains(&id.as_str()) {
        id.push('_');
    }
    id
}

/// Field identifiers of tensors named `names`, as the device I/O structs name them:
/// [`standalone_ident`], then a trailing `_` until unique.
pub fn field_idents<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = HashSet::new();
    names
        .into_iter()
        .map(|name| {
            let mut id = standalone_ident(name);
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
        assert_eq!(
            field_idents(["int", "INT", "For", "int_"]),
            vec!["int_", "int__", "for_", "int___"]
        );
        let mut s = Symbols::default();
        assert_eq!(s.unique("w".into()), "w");
        assert_eq!(s.unique("w".into()), "w_2");
    }
}
