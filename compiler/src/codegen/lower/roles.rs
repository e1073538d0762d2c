//! Operand roles: what each runtime kernel does with the operands after its parameter
//! block (read, written, optional, an index table, a scalar). C needs none of this (a
//! pointer is a pointer); a renderer for a language with borrow rules (Rust: `&[f32]` vs
//! `&mut [f32]`, `Option` for a nullable pointer) does. The table mirrors the prototypes
//! in `runtime-c/include/mn_kernels.h` and `mn_kernels_s8.h` (whose operands are int8,
//! int32 or `mn_requant_t` where the float ones are float); a unit test checks it
//! against them.

/// The role of one operand of a kernel call (one [`super::Arg`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A float tensor the kernel reads (`const float *`).
    In,
    /// An optional float tensor it reads (`const float *` the header allows to be NULL).
    OptIn,
    /// A float tensor it writes (`float *`).
    Out,
    /// An optional float tensor it writes (a result the caller may not want).
    OptOut,
    /// Working memory the kernel writes and the caller never reads (`float *scratch`).
    Scratch,
    /// Scratch the header allows to be NULL (when the kernel needs none).
    OptScratch,
    /// An int32 table it reads (`const int32_t *`).
    Indices,
    /// An `int32_t` scalar.
    Int,
    /// A `float` scalar.
    Float,
    /// Redundant copies and their arrival flags (`const float *const *xs,
    /// const int32_t *arrived`): one [`super::Arg::Arrived`], two C parameters.
    Arrived,
}

impl Role {
    /// Whether the kernel writes the operand.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Role::Out | Role::OptOut | Role::Scratch | Role::OptScratch
        )
    }
    /// Whether the operand may be absent (`Buf::Null`).
    pub fn optional(self) -> bool {
        matches!(self, Role::OptIn | Role::OptOut | Role::OptScratch)
    }
}

use Role::*;

/// Every kernel lowering calls and the roles of its operands, in order.
const KERNELS: &[(&str, &[Role])] = &[
    ("mn_conv2d_f32", &[In, In, OptIn, Out]),
    ("mn_conv2d_fast_f32", &[In, In, OptIn, OptScratch, Out]),
    ("mn_conv2d_dw_f32", &[In, In, OptIn, OptScratch, Out]),
    ("mn_conv_nd_f32", &[In, In, OptIn, Out]),
    ("mn_gemm_f32", &[In, In, OptIn, Out]),
    ("mn_gemm_fast_f32", &[In, In, OptIn, Out]),
    ("mn_matmul_f32", &[In, In, Out]),
    ("mn_binary_f32", &[In, In, Out]),
    ("mn_unary_f32", &[In, Out]),
    ("mn_clip_f32", &[In, OptIn, OptIn, Out]),
    ("mn_where_f32", &[In, In, In, Out]),
    ("mn_pool2d_f32", &[In, Out]),
    ("mn_pool2d_fast_f32", &[In, Out]),
    ("mn_pool_nd_f32", &[In, Out]),
    ("mn_global_pool_f32", &[In, Out]),
    ("mn_batchnorm_f32", &[In, In, In, In, In, Out]),
    ("mn_norm_f32", &[In, In, OptIn, Out, OptOut, OptOut]),
    ("mn_softmax_f32", &[In, Out]),
    ("mn_reduce_f32", &[In, Out]),
    ("mn_copy_f32", &[In, Out]),
    ("mn_pad_f32", &[In, Out]),
    ("mn_fill_f32", &[Out, Int, Float]),
    ("mn_gather_f32", &[In, Indices, Out]),
    (
        "mn_rnn_f32",
        &[In, In, In, OptIn, OptIn, OptOut, OptOut, Scratch],
    ),
    (
        "mn_gru_f32",
        &[In, In, In, OptIn, OptIn, OptOut, OptOut, Scratch],
    ),
    (
        "mn_lstm_f32",
        &[
            In, In, In, OptIn, OptIn, OptIn, OptIn, OptOut, OptOut, OptOut, Scratch,
        ],
    ),
    ("mn_mean_arrived_f32", &[Arrived, Out]),
    // int8 kernels (mn_kernels_s8.h): int8 tensors, int8 weights, int32 bias and
    // `mn_requant_t` tables are read like float ones (the renderer picks the view).
    ("mn_conv2d_s8", &[In, In, OptIn, In, Out]),
    ("mn_conv2d_fast_s8", &[In, In, OptIn, In, Scratch, Out]),
    ("mn_conv2d_dw_s8", &[In, In, OptIn, In, Scratch, Out]),
    ("mn_gemm_s8", &[In, In, OptIn, In, Out]),
    ("mn_gemm_fast_s8", &[In, In, In, In, Out]),
    ("mn_binary_s8", &[In, In, Out]),
    ("mn_concat_s8", &[In, Out]),
    ("mn_pool2d_s8", &[In, Out]),
    ("mn_pool2d_fast_s8", &[In, Out]),
    ("mn_global_pool_s8", &[In, Out]),
    ("mn_quantize_s8", &[In, Out]),
    ("mn_quantize_axis_s8", &[In, Indices, In, Out]),
    ("mn_dequantize_s8", &[In, Out]),
    ("mn_softmax_s8", &[In, Out]),
];

/// The roles of `kernel`'s operands (after the parameter block), or None for a kernel
/// this table does not know (an internal error: lowering calls only kernels listed here).
pub fn roles(kernel: &str) -> Option<&'static [Role]> {
    KERNELS.iter().find(|(k, _)| *k == kernel).map(|(_, r)| *r)
}

/// Every kernel of the table (for tests and renderers that list them).
pub fn kernels() -> impl Iterator<Item = &'static str> {
    KERNELS.iter().map(|(k, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::templates::runtime_file;

    /// One C parameter: its type text (`const float *`) and name.
    fn split_param(p: &str) -> (String, String) {
        let p = p.trim();
        let cut = p
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let ty: String = p[..cut].split_whitespace().collect::<Vec<_>>().join(" ");
        (
            ty.replace(" *", "*").replace("* ", "*"),
            p[cut..].to_string(),
        )
    }

    /// The parameters of `kernel`'s prototype in the header, and its documentation: the
    /// comments of its section (from the `/* ----` rule before it) up to the prototype
    /// (kernels of one family share their contract there).
    fn prototype(header: &str, kernel: &str) -> (Vec<(String, String)>, String) {
        let start = header
            .find(&format!(" {kernel}("))
            .unwrap_or_else(|| panic!("{kernel} is not declared in mn_kernels.h"));
        let end = start + header[start..].find(')').unwrap();
        let params = header[start + kernel.len() + 2..end]
            .split(',')
            .map(split_param)
            .collect();
        let before = &header[..start];
        let section = before.rfind("/* ----").unwrap_or(0);
        let mut doc = String::new();
        let mut rest = &before[section..];
        while let Some(open) = rest.find("/*") {
            let close = open + rest[open..].find("*/").unwrap();
            doc.push_str(&rest[open + 2..close].replace(['\n', '*'], " "));
            doc.push_str(". ");
            rest = &rest[close + 2..];
        }
        (params, doc)
    }

    /// The header that declares `kernel`.
    fn header_of(kernel: &str) -> &'static str {
        let name = if is_s8(kernel) {
            "mn_kernels_s8.h"
        } else {
            "mn_kernels.h"
        };
        runtime_file(name).expect("the kernel headers are embedded")
    }

    fn is_s8(kernel: &str) -> bool {
        kernel.ends_with("_s8")
    }

    /// The doc of `kernel` and of the kernels (of its header) it says it shares a
    /// contract with.
    fn doc(header: &str, kernel: &str) -> String {
        let (_, own) = prototype(header, kernel);
        let mut text = own.clone();
        let same_header = |k: &&str| is_s8(k) == is_s8(kernel);
        for other in kernels().filter(|k| *k != kernel && own.contains(k) && same_header(k)) {
            text.push_str(&prototype(header, other).1);
        }
        text
    }

    /// `doc` split at `.` and `;` outside parentheses (a parenthesis belongs to the
    /// clause it qualifies).
    fn clauses(doc: &str) -> Vec<&str> {
        let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
        for (i, c) in doc.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                '.' | ';' if depth == 0 => {
                    out.push(&doc[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(&doc[start..]);
        out
    }

    /// Whether a clause of `doc` (see [`clauses`]) says `name` may be NULL; "Every
    /// output may be NULL" covers written tensors other than scratch.
    fn documented_nullable(doc: &str, name: &str, written: bool) -> bool {
        clauses(doc).into_iter().any(|clause| {
            let words: Vec<&str> = clause
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .collect();
            clause.contains("NULL")
                && (words.contains(&name)
                    || (written && name != "scratch" && clause.contains("Every output")))
        })
    }

    #[test]
    fn roles_match_the_c_prototypes() {
        for (kernel, roles) in KERNELS {
            let header = header_of(kernel);
            let (params, _) = prototype(header, kernel);
            let doc = doc(header, kernel);
            // The parameter block comes first, except for mn_fill_f32 which has none.
            let operands = match params.first() {
                Some((ty, _)) if ty.ends_with("_params_t*") => &params[1..],
                _ => &params[..],
            };
            let mut c = operands.iter();
            for role in roles.iter() {
                let (ty, name) = c.next().unwrap_or_else(|| {
                    panic!("{kernel}: the table has more operands than the prototype")
                });
                let expected: &[&str] = match role {
                    In | OptIn if is_s8(kernel) => &[
                        "const int8_t*",
                        "const float*",
                        "const int32_t*",
                        "const mn_requant_word_t*",
                    ],
                    Out | OptOut if is_s8(kernel) => &["int8_t*", "float*"],
                    Scratch | OptScratch if is_s8(kernel) => &["int8_t*"],
                    In | OptIn => &["const float*"],
                    Out | OptOut | Scratch | OptScratch => &["float*"],
                    Indices => &["const int32_t*"],
                    Int => &["int32_t"],
                    Float => &["float"],
                    Arrived => &["const float*const*"],
                };
                assert!(
                    expected.contains(&ty.as_str()),
                    "{kernel}: operand {name} is {ty}, the table says {role:?}"
                );
                if *role == Arrived {
                    let (ty, name) = c.next().expect("arrived flags");
                    assert_eq!((ty.as_str(), name.as_str()), ("const int32_t*", "arrived"));
                }
                if role.optional() {
                    assert!(
                        documented_nullable(&doc, name, role.writes()),
                        "{kernel}: the table makes {name} optional; the header does not say it may be NULL"
                    );
                }
                if matches!(role, Scratch | OptScratch) {
                    assert_eq!(name, "scratch", "{kernel}: scratch role on {name}");
                }
            }
            assert!(
                c.next().is_none(),
                "{kernel}: the prototype has more operands than the table"
            );
        }
    }

    #[test]
    fn every_declared_kernel_is_in_the_table() {
        let headers = ["mn_kernels.h", "mn_kernels_s8.h"].map(|h| runtime_file(h).unwrap());
        for line in headers.iter().flat_map(|h| h.lines()) {
            let Some(rest) = line.strip_prefix("void mn_") else {
                continue;
            };
            let name = format!("mn_{}", &rest[..rest.find('(').unwrap()]);
            if name.ends_with("_pack") || name.ends_with("_fold_bias") {
                continue; // compile-time packing (meshnn packs in kernels.rs)
            }
            assert!(roles(&name).is_some(), "{name} has no operand roles");
        }
    }

    #[test]
    fn a_mistyped_role_is_caught() {
        // The checker itself: a conv whose bias were written would not match `const float *b`.
        let header = runtime_file("mn_kernels.h").unwrap();
        let (params, doc) = prototype(header, "mn_conv2d_f32");
        assert_eq!(params[3], ("const float*".into(), "b".into()));
        assert!(documented_nullable(&doc, "b", false));
        assert!(!documented_nullable(&doc, "w", false));
    }
}
