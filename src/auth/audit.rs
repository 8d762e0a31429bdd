//! The audit log, `audit.log` in the data folder: one JSON line per sign-in, failed
//! sign-in, user, token or invitation change and settings or rules save (who, when, what).
//! Append-only and synced before the action is answered; a torn last line (power cut) is
//! skipped when reading.

use cocolu_core::api::accounts::AuditEntry;
use parking_lot::Mutex;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file inside the data folder.
pub const FILE: &str = "audit.log";

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
    pub fn append(&self, entry: &AuditEntry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        let _guard = self.writing.lock();
        let mut file = open_for_append(&self.path)?;
        file.write_all(&line)?;
        file.sync_data()
    }

    /// Entries newest first: at most `limit` of those that end before the cursor `before` (a
    /// byte offset in the file), and the cursor of the next page if there is one (blocking).
    /// The file is read backwards from the cursor, a block at a time, so a page costs the
    /// same however long the log has grown; a line longer than any entry can be (written by
    /// an older version, or by hand) is skipped without being held in memory.
    pub fn page(
        &self,
        before: Option<u64>,
        limit: usize,
    ) -> io::Result<(Vec<AuditEntry>, Option<u64>)> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), None)),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        let end = before.unwrap_or(len).min(len);
        let mut entries = Vec::new();
        // The bytes of the line being assembled, in file order, and where it starts.
        let mut line: Vec<u8> = Vec::new();
        let mut oversized = false;
        let mut position = end;
        let mut block = vec![0u8; READ_BLOCK];
        // Where the oldest entry returned starts: the next page ends there.
        let mut cursor = end;
        while position > 0 && entries.len() < limit {
            let take = usize::try_from(position).map_or(READ_BLOCK, |p| p.min(READ_BLOCK));
            position -= take as u64;
            file.seek(SeekFrom::Start(position))?;
            file.read_exact(&mut block[..take])?;
            let chunk = &block[..take];
            let mut tail = take;
            while let Some(newline) = chunk[..tail].iter().rposition(|b| *b == b'\n') {
                let piece = &chunk[newline + 1..tail];
                let line_start = position + newline as u64 + 1;
                if let Some(entry) = finish_line(&mut line, &mut oversized, piece) {
                    entries.push(entry);
                    cursor = line_start;
                    if entries.len() == limit {
                        break;
                    }
                }
                tail = newline;
            }
            if entries.len() == limit {
                break;
            }
            prepend(&mut line, &mut oversized, &chunk[..tail]);
        }
        if entries.len() < limit && position == 0 {
            if let Some(entry) = finish_line(&mut line, &mut oversized, &[]) {
                entries.push(entry);
                cursor = 0;
            }
        }
        let next = (entries.len() == limit && cursor > 0).then_some(cursor);
        Ok((entries, next))
    }
}

/// How much of the file is read at a time when paging backwards.
const READ_BLOCK: usize = 64 * 1024;
/// No entry is longer than this (every field is bounded before it is written).
const MAX_LINE: usize = 16 * 1024;

/// Adds `piece` in front of the line being assembled (read backwards), giving up on lines
/// that grow past [`MAX_LINE`].
fn prepend(line: &mut Vec<u8>, oversized: &mut bool, piece: &[u8]) {
    if *oversized {
        return;
    }
    if line.len() + piece.len() > MAX_LINE {
        *oversized = true;
        line.clear();
        return;
    }
    line.splice(0..0, piece.iter().copied());
}

/// Completes the line with `piece` (its start) and parses it; resets for the next line.
fn finish_line(line: &mut Vec<u8>, oversized: &mut bool, piece: &[u8]) -> Option<AuditEntry> {
    prepend(line, oversized, piece);
    let entry = (!*oversized && !line.is_empty())
        .then(|| serde_json::from_slice::<AuditEntry>(line).ok())
        .flatten();
    line.clear();
    *oversized = false;
    entry
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

    fn entry(at: i64) -> AuditEntry {
        AuditEntry {
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
        drop(file);

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

    #[test]
    fn a_page_reads_only_what_it_returns_and_skips_a_huge_line() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(tmp.path());
        log.append(&entry(1)).expect("appended");
        // A line far longer than any entry (an older version wrote unbounded usernames).
        let mut file = OpenOptions::new()
            .append(true)
            .open(tmp.path().join(FILE))
            .expect("open");
        let huge = format!(
            "{{\"at\":2,\"actor\":\"{}\",\"action\":\"x\"}}\n",
            "a".repeat(300_000)
        );
        file.write_all(huge.as_bytes()).expect("huge");
        drop(file);
        for at in 3..=200 {
            log.append(&entry(at)).expect("appended");
        }
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = log.page(cursor, 7).expect("read");
            assert!(page.len() <= 7);
            seen.extend(page.iter().map(|e| e.at));
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let expected: Vec<i64> = (3..=200).rev().chain([1]).collect();
        assert_eq!(seen, expected);
        assert_eq!(log.page(Some(0), 5).expect("read"), (Vec::new(), None));
        assert_eq!(log.page(Some(u64::MAX), 1).expect("read").0[0].at, 200);
    }
}
