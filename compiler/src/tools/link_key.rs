//! Link keys on this computer. `meshnn keygen FILE` writes a random key (16 raw bytes from
//! the operating system's generator, file mode 0600, never over an existing file). The
//! programs meshnn builds and runs here (host harness, simulator, QEMU firmware) read the
//! key named by `$MESHNN_LINK_KEY` (`--key FILE` sets it); without it each build folder
//! gets a fresh random key of its own, `link.key`, replaced at every build. Generated
//! sources never contain a key.

use crate::link::{LinkKey, LINK_KEY_BYTES};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable naming the key file the generated host programs read.
pub const KEY_ENV: &str = "MESHNN_LINK_KEY";

/// The fresh key of a build folder when `$MESHNN_LINK_KEY` is not set.
pub const KEY_FILE: &str = "link.key";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}: already exists; meshnn keygen never overwrites a file (choose another path, or delete the old key yourself)")]
    Exists(String),
    #[error("cannot {what} key file {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a link key: {why} (a key file holds exactly {LINK_KEY_BYTES} bytes; meshnn keygen FILE writes one)")]
    Invalid { path: String, why: String },
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> KeyError {
    let path = path.display().to_string();
    move |source| KeyError::Io { what, path, source }
}

/// Random bytes from the operating system.
fn random_bytes<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(b)
}

/// A random epoch (`meshnn_link_epoch()` of a QEMU test run).
pub fn random_epoch() -> Result<u32, KeyError> {
    Ok(u32::from_le_bytes(random_bytes()?))
}

/// Write a new random key to `path`, which must not exist; readable by its owner only.
pub fn keygen(path: &Path) -> Result<(), KeyError> {
    let key: LinkKey = random_bytes()?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => KeyError::Exists(path.display().to_string()),
        _ => io("create", path)(e),
    })?;
    f.write_all(&key).map_err(io("write", path))
}

/// The key in `path`: a regular file of exactly [`LINK_KEY_BYTES`] bytes.
pub fn read(path: &Path) -> Result<LinkKey, KeyError> {
    let invalid = |why: String| KeyError::Invalid {
        path: path.display().to_string(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(io("read", path))?;
    if !meta.is_file() {
        return Err(invalid("not a regular file".into()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io("read", path))?
        .take(LINK_KEY_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io("read", path))?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        invalid(format!(
            "{}{} bytes",
            b.len(),
            if b.len() > LINK_KEY_BYTES {
                " or more"
            } else {
                ""
            }
        ))
    })
}

/// Give the build folder `folder` a fresh random key (`folder/link.key`, replacing the
/// one an earlier build left), unless `$MESHNN_LINK_KEY` names the key to use, which
/// must then be valid.
pub fn prepare(folder: &Path) -> Result<(), KeyError> {
    if let Some(p) = std::env::var_os(KEY_ENV) {
        return read(Path::new(&p)).map(drop);
    }
    let path = folder.join(KEY_FILE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io("replace", &path)(e)),
        _ => {}
    }
    keygen(&path)
}

/// The key file the programs of build folder `folder` use: `$MESHNN_LINK_KEY`, else
/// `folder/link.key` (made by [`prepare`]).
pub fn key_path(folder: &Path) -> PathBuf {
    match std::env::var_os(KEY_ENV) {
        Some(p) => PathBuf::from(p),
        None => {
            std::fs::canonicalize(folder.join(KEY_FILE)).unwrap_or_else(|_| folder.join(KEY_FILE))
        }
    }
}

/// Point a program of build folder `folder` at its key.
pub fn set_env(cmd: &mut Command, folder: &Path) {
    cmd.env(KEY_ENV, key_path(folder));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_writes_a_private_random_key_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.key"), dir.path().join("b.key"));
        keygen(&a).unwrap();
        keygen(&b).unwrap();
        let ka = read(&a).unwrap();
        assert_ne!(ka, read(&b).unwrap(), "two keys are equal");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&a).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let e = keygen(&a).unwrap_err();
        assert!(matches!(e, KeyError::Exists(_)), "{e}");
        assert_eq!(read(&a).unwrap(), ka, "the existing key was changed");
    }

    #[test]
    fn only_files_of_exactly_sixteen_bytes_are_keys() {
        let dir = tempfile::tempdir().unwrap();
        for n in [0usize, 15, 17, 4096] {
            let p = dir.path().join(format!("k{n}"));
            std::fs::write(&p, vec![7u8; n]).unwrap();
            let e = read(&p).unwrap_err().to_string();
            assert!(e.contains("not a link key") && e.contains("keygen"), "{e}");
        }
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let p = dir.path().join("ok");
        std::fs::write(&p, [9u8; 16]).unwrap();
        assert_eq!(read(&p).unwrap(), [9u8; 16]);
    }
}
