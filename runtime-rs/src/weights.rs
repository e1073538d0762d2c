//! A device's constant tables in flash: the weight file meshnn writes (`weights.bin`,
//! little-endian, every table at a multiple of 16 bytes: `codegen/blob.rs`) included with
//! `include_bytes!` inside an alignment wrapper, and `&[f32]` / `&[i32]` views of one
//! table (bytemuck: checked casts, no `unsafe`).
//!
//! ```ignore
//! static WEIGHTS: &Aligned<[u8]> = &Aligned(*include_bytes!("weights.bin"));
//! const CONV1_W: Table = Table::new(0, 216);
//! let w: &[f32] = WEIGHTS.f32s(CONV1_W);
//! ```

#[cfg(not(target_endian = "little"))]
compile_error!("meshnn weight files are little-endian; big-endian targets are not supported");

/// Alignment of the weight file and of every table in it, in bytes (`BLOB_ALIGN`).
pub const ALIGN: usize = 16;

/// `T` at a 16-byte aligned address (`Aligned<[u8]>`: the bytes of a weight file).
#[repr(C, align(16))]
pub struct Aligned<T: ?Sized>(pub T);

/// Where one table lies in the weight file: byte offset and number of 4-byte values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    pub offset: usize,
    pub count: usize,
}

impl Table {
    /// The table of `count` values at byte `offset`.
    pub const fn new(offset: usize, count: usize) -> Table {
        Table { offset, count }
    }
}

impl Aligned<[u8]> {
    /// The float32 values of `t`.
    ///
    /// # Panics
    /// When `t` lies outside the file or is not 4-byte aligned (a meshnn bug).
    pub fn f32s(&self, t: Table) -> &[f32] {
        bytemuck::cast_slice(self.bytes(t))
    }

    /// The int32 values of `t` (index tables).
    pub fn i32s(&self, t: Table) -> &[i32] {
        bytemuck::cast_slice(self.bytes(t))
    }

    /// The first `n` int8 values of `t` (int8 weights; `t.count` counts 4-byte words).
    pub fn i8s(&self, t: Table, n: usize) -> &[i8] {
        &bytemuck::cast_slice(self.bytes(t))[..n]
    }

    fn bytes(&self, t: Table) -> &[u8] {
        &self.0[t.offset..t.offset + 4 * t.count]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 1.0f = 0x3F800000, -2.5f = 0xC0200000, -2 = 0xFFFFFFFE, written low byte first,
    // the int table at the next 16-byte boundary.
    static FILE: &Aligned<[u8]> = &Aligned([
        0, 0, 0x80, 0x3F, 0, 0, 0x20, 0xC0, 0, 0, 0, 0, 0, 0, 0, 0, //
        0xFE, 0xFF, 0xFF, 0xFF, 2, 1, 0, 0,
    ]);

    #[test]
    fn tables_read_back_little_endian() {
        assert_eq!(FILE.0.as_ptr() as usize % ALIGN, 0);
        let f = FILE.f32s(Table {
            offset: 0,
            count: 2,
        });
        assert_eq!(f, &[1.0, -2.5]);
        let i = FILE.i32s(Table {
            offset: 16,
            count: 2,
        });
        assert_eq!(i, &[-2, 258]);
        assert!(FILE
            .f32s(Table {
                offset: 16,
                count: 0
            })
            .is_empty());
    }

    #[test]
    #[should_panic]
    fn a_table_past_the_end_panics() {
        let _ = FILE.f32s(Table {
            offset: 16,
            count: 3,
        });
    }
}
