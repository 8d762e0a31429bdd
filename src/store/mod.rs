//! The data folder. For now this prepares it: created on first run, and proven writable
//! before the server starts, so a bad folder is reported at once instead of at the first save.

use std::fs;
use std::io;
use std::path::Path;

/// Creates the data folder if needed and checks that files can be written in it.
pub fn prepare_data_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let probe = dir.join(".cocolu-write-probe");
    fs::write(&probe, b"ok")?;
    fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_data_folder_is_created() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("nested/data");
        prepare_data_dir(&dir).expect("prepared");
        assert!(dir.is_dir());
        assert_eq!(
            fs::read_dir(&dir).expect("list").count(),
            0,
            "the probe is removed"
        );
    }

    #[test]
    fn a_data_folder_that_is_a_file_is_an_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("data");
        fs::write(&file, b"not a folder").expect("write");
        assert!(prepare_data_dir(&file).is_err());
    }
}
