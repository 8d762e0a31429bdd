//! The audit log, `audit.log` in the data folder: one JSON line per sign-in, failed
//! sign-in, user, token or invitation change and settings or rules save (who, when, what).
//! Append-only and synced before the action is answered; a torn last line (power cut) is
//! skipped when reading.

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file inside the data folder.
pub const FILE: &str = "audit.log";

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Entry {
    /// Milliseconds since the epoch.
    pub at: i64,
    /// Who did it: a username, `token:NAME`, `cli`, or empty for an unknown person.
    pub actor: String,
    /// What happened, such as `login`, `login_failed`, `user_created`, `rules_saved`.
    pub action: String,
    /// What it was done to (a username, a token name, a file), if anything.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// The client's address.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ip: String,
    /// More about it, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The open audit log.
pub struct AuditLog {
    path: PathBuf,
    writing: Mutex<()>,
}

impl AuditLog {
    pub fn new(dir: &Path) -> AuditLog {
        AuditLog {
            path: dir.join(FILE),
            writing: Mutex::new(()),
        }
    }

    /// Appends an entry durably (blocking). The file is opened for each entry and closed
    /// again: entries are rare, and a file held open for writing would keep an operator from
    /// remounting the file system read-only.
    pub fn append(&self, entry: &Entry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        let _guard = self.writing.lock();
        let mut file = open_for_append(&self.path)?;
        file.write_all(&line)?;
        file.sync_data()
    }

    /// Entries newest first: at most `limit` of those older than the cursor `before` (an
    /// entry's line number), and the cursor of the next page if there is one (blocking).
    pub fn page(
        &self,
        before: Option<usize>,
        limit: usize,
    ) -> io::Result<(Vec<Entry>, Option<usize>)> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        let lines: Vec<&str> = text.lines().collect();
        let end = before.unwrap_or(lines.len()).min(lines.len());
        let mut entries = Vec::new();
        let mut line = end;
        while line > 0 && entries.len() < limit {
            line -= 1;
            if let Ok(entry) = serde_json::from_str::<Entry>(lines[line]) {
                entries.push(entry);
            }
        }
        let next = (line > 0 && entries.len() == limit).then_some(line);
        Ok((entries, next))
    }
}

/// Opens the log for appending; a torn last line (no newline) is ended first, so the next
/// entry starts on a line of its own.
fn open_for_append(path: &Path) -> io::Result<File> {
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    if file.metadata()?.len() > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: i64) -> Entry {
        Entry {
            at,
            actor: "ana".into(),
            action: "login".into(),
            target: String::new(),
            ip: "127.0.0.1".into(),
            detail: String::new(),
        }
    }

    #[test]
    fn pages_go_from_newest_to_oldest_and_skip_a_torn_line() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(tmp.path());
        for at in 1..=5 {
            log.append(&entry(at)).expect("appended");
        }
        let mut file = OpenOptions::new()
            .append(true)
            .open(tmp.path().join(FILE))
            .expect("open");
        file.write_all(b"{\"at\":6,\"act").expect("torn");

        let (first, next) = log.page(None, 2).expect("read");
        assert_eq!(first.iter().map(|e| e.at).collect::<Vec<_>>(), [5, 4]);
        let (second, next) = log.page(next, 2).expect("read");
        assert_eq!(second.iter().map(|e| e.at).collect::<Vec<_>>(), [3, 2]);
        let (last, next) = log.page(next, 2).expect("read");
        assert_eq!(last.iter().map(|e| e.at).collect::<Vec<_>>(), [1]);
        assert_eq!(next, None);

        let reopened = AuditLog::new(tmp.path());
        reopened
            .append(&entry(7))
            .expect("appended after the torn line");
        let (newest, _) = reopened.page(None, 1).expect("read");
        assert_eq!(newest[0].at, 7);
    }
}
