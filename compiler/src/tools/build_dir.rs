//! Build folders: where `run`, `simulate` and `build` write generated sources, binaries and
//! scratch files, and which of them meshnn may delete.
//!
//! - A marker file ([`MARKER`]) names the folders meshnn created. meshnn empties a folder
//!   only when it carries the marker; it refuses to use a non-empty folder without one
//!   (the user's files are never deleted or overwritten).
//! - A lock file ([`LOCK`]) in the build folder is held, exclusively, for the whole command:
//!   a second meshnn command on the same folder fails at once with a clear error instead of
//!   mixing its files with the first one's (it does not wait: a run can take minutes).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The file that marks a folder as made by meshnn (and so safe for meshnn to empty).
pub const MARKER: &str = ".meshnn-build";
/// The lock file of a build folder.
pub const LOCK: &str = ".meshnn-lock";

#[derive(Debug, thiserror::Error)]
pub enum BuildDirError {
    #[error("folder '{}' is not empty and was not created by meshnn (it has no {MARKER} file); meshnn deletes and rewrites what it puts there, so pass a new or empty folder", .0.display())]
    Foreign(PathBuf),
    #[error("build folder '{}' is in use by another meshnn command (it holds the lock {LOCK}); wait for that command to finish or pass another folder", .0.display())]
    Busy(PathBuf),
    #[error("cannot {what} '{}': {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BuildDirError {
    let path = path.to_path_buf();
    move |source| BuildDirError::Io { what, path, source }
}

/// A build folder claimed for one command: marked as meshnn's and locked until dropped.
#[derive(Debug)]
pub struct BuildDir {
    path: PathBuf,
    /// Holds the exclusive lock (released when the file is closed).
    _lock: File,
}

impl BuildDir {
    /// Create `dir` if needed, check it is meshnn's (empty, or marked), mark it and take its
    /// lock. Errors: a foreign non-empty folder, a folder another command holds.
    pub fn claim(dir: &Path) -> Result<BuildDir, BuildDirError> {
        std::fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        mark_if_ours(dir)?;
        let lock_path = dir.join(LOCK);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err("create", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => Ok(BuildDir {
                path: dir.to_path_buf(),
                _lock: lock,
            }),
            Err(TryLockError::WouldBlock) => Err(BuildDirError::Busy(dir.to_path_buf())),
            Err(TryLockError::Error(e)) => Err(io_err("lock", &lock_path)(e)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Make `dir` (inside a claimed build folder) an empty folder marked as meshnn's: a marked
/// folder is emptied, an absent or empty one created; a non-empty one without the marker
/// (the user's) is an error and left alone.
pub fn fresh_dir(dir: &Path) -> Result<(), BuildDirError> {
    if dir.join(MARKER).is_file() {
        std::fs::remove_dir_all(dir).map_err(io_err("clean", dir))?;
    }
    std::fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    mark_if_ours(dir)
}

/// Mark `dir` as meshnn's when it is empty or marked already; else [`BuildDirError::Foreign`].
/// A folder holding only meshnn's own marker or lock counts as empty: another meshnn
/// command that claims the same new folder at the same moment may have created them
/// between the marker check and the listing (it then holds the lock, or will).
fn mark_if_ours(dir: &Path) -> Result<(), BuildDirError> {
    let marker = dir.join(MARKER);
    if marker.is_file() {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(io_err("read", dir))?;
    for e in entries {
        let e = e.map_err(io_err("read", dir))?;
        if e.file_name() != MARKER && e.file_name() != LOCK {
            return Err(BuildDirError::Foreign(dir.to_path_buf()));
        }
    }
    std::fs::write(&marker, "made by meshnn: meshnn may empty this folder\n")
        .map_err(io_err("write", &marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_meshnn_did_not_make_is_never_emptied() {
        let t = tempfile::tempdir().unwrap();
        let user = t.path().join("io");
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(user.join("keep.txt"), "mine").unwrap();
        let e = fresh_dir(&user).unwrap_err().to_string();
        assert!(
            e.contains("not created by meshnn") && e.contains("io"),
            "{e}"
        );
        assert_eq!(
            std::fs::read_to_string(user.join("keep.txt")).unwrap(),
            "mine"
        );
        let e = BuildDir::claim(&user).unwrap_err().to_string();
        assert!(e.contains("not created by meshnn"), "{e}");
        assert!(user.join("keep.txt").is_file());
    }

    #[test]
    fn a_new_folder_another_command_is_claiming_is_not_foreign() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("b");
        std::fs::create_dir(&d).unwrap();
        // What a concurrent claim leaves between its marker check and its marker write.
        std::fs::write(d.join(LOCK), "").unwrap();
        let held = BuildDir::claim(&d).expect("only meshnn's lock file in it");
        assert!(d.join(MARKER).is_file());
        assert!(matches!(BuildDir::claim(&d), Err(BuildDirError::Busy(_))));
        drop(held);
        std::fs::write(d.join("user.txt"), "mine").unwrap();
        std::fs::remove_file(d.join(MARKER)).unwrap();
        assert!(matches!(
            BuildDir::claim(&d),
            Err(BuildDirError::Foreign(_))
        ));
    }

    #[test]
    fn a_folder_meshnn_made_is_emptied_and_marked() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("run");
        fresh_dir(&d).unwrap();
        assert!(d.join(MARKER).is_file());
        std::fs::write(d.join("out0.bin"), "old").unwrap();
        fresh_dir(&d).unwrap();
        assert!(d.join(MARKER).is_file() && !d.join("out0.bin").exists());
    }

    #[test]
    fn io_folders_are_marked_so_a_later_run_may_empty_them() {
        // `run` writes DIR/io; `run --on qemu` in the same DIR later empties it.
        let t = tempfile::tempdir().unwrap();
        let io = t.path().join("io");
        crate::tools::host_build::IoFiles::write(&io, &[&[1.0, 2.0]], 1).unwrap();
        assert!(io.join("in0.bin").is_file());
        fresh_dir(&io).unwrap();
        assert!(!io.join("in0.bin").exists());
    }

    #[test]
    fn a_build_folder_is_held_by_one_command_at_a_time() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("build");
        let first = BuildDir::claim(&d).unwrap();
        let e = BuildDir::claim(&d).unwrap_err().to_string();
        assert!(e.contains("in use by another meshnn command"), "{e}");
        drop(first);
        BuildDir::claim(&d).unwrap();
    }
}
