//! The files the importer reads, confined and bounded: the model file (a regular file of at
//! most [`MAX_MODEL_BYTES`]) and external tensor data (regular files inside the model's
//! folder after resolving symlinks; each file opened once per import and only the byte
//! range of each tensor read).

use super::error::ImportError;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

/// Largest model file meshnn reads: 2 GiB, protobuf's limit for one message (bigger models
/// keep their weights in external data files).
pub const MAX_MODEL_BYTES: u64 = 2 << 30;

/// What a path that is not a regular file is, for error messages.
fn kind(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Why [`open_regular`] refused a path.
enum OpenError {
    Io(std::io::Error),
    /// What the path is instead of a regular file.
    NotAFile(&'static str),
}

/// Opens `path` if it is a regular file, returning it with its size. The type is checked
/// before opening, so that a FIFO never blocks, and again on the opened file.
fn open_regular(path: &Path) -> Result<(File, u64), OpenError> {
    let meta = std::fs::metadata(path).map_err(OpenError::Io)?;
    if !meta.is_file() {
        return Err(OpenError::NotAFile(kind(&meta)));
    }
    let file = File::open(path).map_err(OpenError::Io)?;
    let meta = file.metadata().map_err(OpenError::Io)?;
    if !meta.is_file() {
        return Err(OpenError::NotAFile(kind(&meta)));
    }
    Ok((file, meta.len()))
}

/// Reads a model file: regular files of at most [`MAX_MODEL_BYTES`] only.
pub fn read_model(path: &Path) -> Result<Vec<u8>, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_large = |bytes| ImportError::TooLarge {
        path: path.to_path_buf(),
        bytes,
    };
    let (file, size) = open_regular(path).map_err(|e| match e {
        OpenError::Io(e) => io(e),
        OpenError::NotAFile(kind) => ImportError::NotAFile {
            path: path.to_path_buf(),
            kind,
        },
    })?;
    if size > MAX_MODEL_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_MODEL_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The external data files of one import, confined to one folder. Each file is opened once
/// (however many tensors it holds) and only the requested byte ranges are read.
pub struct DataDir {
    base: PathBuf,
    /// `base` with symlinks resolved, computed on first use.
    root: OnceCell<Result<PathBuf, String>>,
    /// Canonical path -> the open file and its size.
    open: RefCell<HashMap<PathBuf, (File, u64)>>,
}

impl DataDir {
    pub fn new(base: &Path) -> Self {
        DataDir {
            base: base.to_path_buf(),
            root: OnceCell::new(),
            open: RefCell::new(HashMap::new()),
        }
    }

    /// Bytes `offset..offset + length` of the data file `location` of tensor `tensor`.
    pub(super) fn read(
        &self,
        tensor: &str,
        location: &str,
        offset: u64,
        length: u64,
    ) -> Result<Vec<u8>, ImportError> {
        let ext = |detail: String| ImportError::ExternalData {
            tensor: tensor.to_string(),
            detail,
        };
        let path = self.confine(tensor, location)?;
        let mut open = self.open.borrow_mut();
        let (file, size) = match open.entry(path.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(open_regular(&path).map_err(|e| match e {
                    OpenError::Io(e) => ext(format!("cannot read '{}': {e}", path.display())),
                    OpenError::NotAFile(kind) => {
                        self.outside(tensor, location, format!("is {kind}, not a regular file"))
                    }
                })?)
            }
        };
        let end = offset as u128 + length as u128;
        if end > *size as u128 {
            return Err(ext(format!(
                "file '{}' has {size} bytes but the tensor needs bytes {offset}..{end} (a truncated or different data file?)",
                path.display()
            )));
        }
        let mut buf = Vec::new();
        usize::try_from(length)
            .ok()
            .and_then(|n| buf.try_reserve_exact(n).ok())
            .ok_or_else(|| ext(format!("cannot allocate {length} bytes for it")))?;
        let read = |file: &mut File, buf: &mut Vec<u8>| {
            file.seek(SeekFrom::Start(offset))?;
            file.take(length).read_to_end(buf)
        };
        match read(file, &mut buf) {
            Ok(n) if n as u64 == length => Ok(buf),
            Ok(n) => Err(ext(format!(
                "file '{}' ended after {n} of the {length} bytes at offset {offset} (was it changed during the import?)",
                path.display()
            ))),
            Err(e) => Err(ext(format!("cannot read '{}': {e}", path.display()))),
        }
    }

    /// The canonical path of `location`, which must be relative, free of `..` and resolve
    /// (through any symlinks) to a path inside the model's folder.
    fn confine(&self, tensor: &str, location: &str) -> Result<PathBuf, ImportError> {
        let rel = Path::new(location);
        if location.is_empty() {
            return Err(self.outside(tensor, location, "is empty".into()));
        }
        if rel.has_root() || rel.is_absolute() {
            return Err(self.outside(tensor, location, "is an absolute path".into()));
        }
        if rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(self.outside(tensor, location, "contains '..'".into()));
        }
        let root = self
            .root
            .get_or_init(|| {
                self.base.canonicalize().map_err(|e| {
                    format!(
                        "cannot resolve the model's folder '{}': {e}",
                        self.base.display()
                    )
                })
            })
            .as_ref()
            .map_err(|detail| ImportError::ExternalData {
                tensor: tensor.to_string(),
                detail: detail.clone(),
            })?;
        let joined = root.join(rel);
        let path = joined
            .canonicalize()
            .map_err(|e| ImportError::ExternalData {
                tensor: tensor.to_string(),
                detail: format!("cannot read '{}': {e}", joined.display()),
            })?;
        if !path.starts_with(root) {
            return Err(self.outside(
                tensor,
                location,
                format!("resolves to '{}' (through a symbolic link)", path.display()),
            ));
        }
        Ok(path)
    }

    fn outside(&self, tensor: &str, location: &str, detail: String) -> ImportError {
        ImportError::ExternalLocation {
            tensor: tensor.to_string(),
            location: location.to_string(),
            detail,
            folder: self.base.clone(),
        }
    }
}
