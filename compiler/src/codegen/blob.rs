//! The weight blob: a device's constant tables as one little-endian byte string
//! (`weights_<device>.bin`), each table at an offset that is a multiple of
//! [`BLOB_ALIGN`], zero bytes between. `weights.S` places it in flash with `.incbin`.

use super::device::ConstTable;

/// Alignment of every table in the blob (and of the blob in flash), in bytes.
pub const BLOB_ALIGN: usize = 16;

/// Where one table lies in the blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub offset: usize,
    /// Bytes of the table's values.
    pub bytes: usize,
    /// Bytes up to the next table (values and padding; at least [`BLOB_ALIGN`], so an
    /// empty table's symbol still points at bytes of its own).
    pub span: usize,
}

/// The blob of `tables` and the slot of each, in order.
pub fn weight_blob(tables: &[ConstTable]) -> (Vec<u8>, Vec<Slot>) {
    let mut blob = Vec::with_capacity(tables.iter().map(|t| table_bytes(t) + BLOB_ALIGN).sum());
    let mut slots = Vec::with_capacity(tables.len());
    for t in tables {
        let offset = blob.len();
        blob.extend(t.values.le_bytes());
        let bytes = blob.len() - offset;
        let span = bytes.div_ceil(BLOB_ALIGN).max(1) * BLOB_ALIGN;
        blob.resize(offset + span, 0);
        slots.push(Slot {
            offset,
            bytes,
            span,
        });
    }
    (blob, slots)
}

fn table_bytes(t: &ConstTable) -> usize {
    t.values.bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::device::TableValues;

    fn table(values: TableValues) -> ConstTable {
        ConstTable {
            symbol: "w".into(),
            values,
            comment: String::new(),
        }
    }

    #[test]
    fn tables_are_little_endian_and_aligned() {
        let tables = [
            table(TableValues::F32(vec![1.0, -2.5, 0.0])),
            table(TableValues::I32(vec![])),
            table(TableValues::I32(vec![-2, 258])),
        ];
        let (blob, slots) = weight_blob(&tables);
        // 1.0f = 0x3F800000, -2.5f = 0xC0200000 (IEEE 754 binary32), written low byte first.
        assert_eq!(&blob[0..8], &[0, 0, 0x80, 0x3F, 0, 0, 0x20, 0xC0]);
        assert_eq!(&blob[8..16], &[0; 8]);
        assert_eq!(
            slots,
            vec![
                Slot {
                    offset: 0,
                    bytes: 12,
                    span: 16
                },
                Slot {
                    offset: 16,
                    bytes: 0,
                    span: 16
                },
                Slot {
                    offset: 32,
                    bytes: 8,
                    span: 16
                },
            ]
        );
        // -2 = 0xFFFFFFFE, 258 = 0x00000102.
        assert_eq!(&blob[32..40], &[0xFE, 0xFF, 0xFF, 0xFF, 2, 1, 0, 0]);
        assert_eq!(blob.len(), 48);
    }
}
