//! A durable key-value store in two flat files, for state that must never be lost once it was
//! used: the WhatsApp Web channel's Signal keys and sessions (a lost key write breaks
//! decryption for good).
//!
//! Files, in the store's folder:
//! - `NAME.jsonl`, the journal: one JSON line per change set, `{"seq":N,"ops":[...]}`,
//!   appended and `fdatasync`ed before the change is applied in memory or answered. A torn
//!   tail (a crash mid-write) is cut off at the next start; a bad line followed by good ones
//!   is corruption and refuses to open, naming the file and the line, as the log does.
//! - `NAME.snapshot.json`, everything up to a sequence number, written atomically when the
//!   journal has grown; the journal is then emptied. Lines at or below the snapshot's number
//!   (left by a crash between the two steps) are skipped when replaying.
//!
//! Values are bytes (base64 in the files); keys are grouped in named spaces. One writer at a
//! time: a change set is computed, written, synced and applied under one lock, so readers see
//! only what is durable.

use super::atomic::{sync_dir, write_atomic};
use super::log::scan_segment;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// The journal is folded into a new snapshot once it passes this size.
pub const COMPACT_AFTER_BYTES: u64 = 4 * 1024 * 1024;

/// Keys and values of one space.
pub type Space = BTreeMap<String, Vec<u8>>;

/// Everything in the store: spaces by name.
pub type Spaces = BTreeMap<String, Space>;

/// One change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Put {
        space: String,
        key: String,
        value: Vec<u8>,
    },
    Delete {
        space: String,
        key: String,
    },
    /// Removes a whole space.
    Clear {
        space: String,
    },
}

impl Op {
    pub fn put(space: &str, key: &str, value: impl Into<Vec<u8>>) -> Op {
        Op::Put {
            space: space.to_string(),
            key: key.to_string(),
            value: value.into(),
        }
    }

    pub fn delete(space: &str, key: &str) -> Op {
        Op::Delete {
            space: space.to_string(),
            key: key.to_string(),
        }
    }

    pub fn clear(space: &str) -> Op {
        Op::Clear {
            space: space.to_string(),
        }
    }

    fn apply(self, spaces: &mut Spaces) {
        match self {
            Op::Put { space, key, value } => {
                spaces.entry(space).or_default().insert(key, value);
            }
            Op::Delete { space, key } => {
                if let Some(entries) = spaces.get_mut(&space) {
                    entries.remove(&key);
                    if entries.is_empty() {
                        spaces.remove(&space);
                    }
                }
            }
            Op::Clear { space } => {
                spaces.remove(&space);
            }
        }
    }
}

/// An op as written: `["put", space, key, base64]`, `["del", space, key]`, `["clear", space]`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum WireOp {
    Three(String, String, String, String),
    Two(String, String, String),
    One(String, String),
}

impl From<&Op> for WireOp {
    fn from(op: &Op) -> WireOp {
        match op {
            Op::Put { space, key, value } => WireOp::Three(
                "put".into(),
                space.clone(),
                key.clone(),
                BASE64.encode(value),
            ),
            Op::Delete { space, key } => WireOp::Two("del".into(), space.clone(), key.clone()),
            Op::Clear { space } => WireOp::One("clear".into(), space.clone()),
        }
    }
}

impl TryFrom<WireOp> for Op {
    type Error = String;

    fn try_from(op: WireOp) -> Result<Op, String> {
        match op {
            WireOp::Three(verb, space, key, value) if verb == "put" => Ok(Op::Put {
                space,
                key,
                value: BASE64
                    .decode(value)
                    .map_err(|e| format!("a value is not base64: {e}"))?,
            }),
            WireOp::Two(verb, space, key) if verb == "del" => Ok(Op::Delete { space, key }),
            WireOp::One(verb, space) if verb == "clear" => Ok(Op::Clear { space }),
            _ => Err("unknown change".into()),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Line {
    seq: u64,
    ops: Vec<WireOp>,
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    version: u32,
    seq: u64,
    spaces: BTreeMap<String, BTreeMap<String, String>>,
}

/// What can go wrong opening or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot use {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}:{line}: {reason}; the file is kept as it is, move it aside to start over")]
    Corrupt {
        path: PathBuf,
        line: u64,
        reason: String,
    },
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

struct Writer {
    file: File,
    /// Length of the journal that is synced and applied.
    len: u64,
    seq: u64,
}

/// The store: its spaces in memory, every change durable before it is seen.
pub struct Journal {
    journal_path: PathBuf,
    snapshot_path: PathBuf,
    spaces: RwLock<Spaces>,
    writer: Mutex<Writer>,
}

impl Journal {
    /// Opens (or creates) the store `NAME` in `dir`, replaying what is on disk.
    pub fn open(dir: &Path, name: &str) -> Result<Journal, JournalError> {
        super::create_private_dir(dir).map_err(io_err(dir))?;
        let journal_path = dir.join(format!("{name}.jsonl"));
        let snapshot_path = dir.join(format!("{name}.snapshot.json"));
        let (mut spaces, mut seq) = read_snapshot(&snapshot_path)?;
        if !journal_path.exists() {
            File::create(&journal_path).map_err(io_err(&journal_path))?;
            sync_dir(dir).map_err(io_err(dir))?;
        }
        let scan = scan_segment(&journal_path).map_err(|e| JournalError::Io {
            path: journal_path.clone(),
            source: io::Error::other(e.to_string()),
        })?;
        if let Some(bad) = scan.corrupt.first() {
            return Err(JournalError::Corrupt {
                path: journal_path,
                line: bad.line,
                reason: bad.reason(),
            });
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&journal_path)
            .map_err(io_err(&journal_path))?;
        let on_disk = file.metadata().map_err(io_err(&journal_path))?.len();
        if on_disk > scan.valid_end {
            tracing::warn!(
                file = %journal_path.display(),
                cut = on_disk - scan.valid_end,
                "torn end of the journal cut off (a crash mid-write; that change was never acknowledged)"
            );
            file.set_len(scan.valid_end)
                .and_then(|()| file.sync_all())
                .map_err(io_err(&journal_path))?;
        }
        let reader = BufReader::new(File::open(&journal_path).map_err(io_err(&journal_path))?);
        for (number, line) in reader.split(b'\n').enumerate() {
            let line = line.map_err(io_err(&journal_path))?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let corrupt = |reason: String| JournalError::Corrupt {
                path: journal_path.clone(),
                line: number as u64 + 1,
                reason,
            };
            let parsed: Line = serde_json::from_slice(&line).map_err(|e| corrupt(e.to_string()))?;
            if parsed.seq <= seq {
                continue;
            }
            for op in parsed.ops {
                Op::try_from(op).map_err(corrupt)?.apply(&mut spaces);
            }
            seq = parsed.seq;
        }
        Ok(Journal {
            journal_path,
            snapshot_path,
            spaces: RwLock::new(spaces),
            writer: Mutex::new(Writer {
                file,
                len: scan.valid_end,
                seq,
            }),
        })
    }

    /// Reads the spaces (what is durable).
    pub fn read<R>(&self, f: impl FnOnce(&Spaces) -> R) -> R {
        f(&self.spaces.read())
    }

    /// One value.
    pub fn get(&self, space: &str, key: &str) -> Option<Vec<u8>> {
        self.spaces.read().get(space)?.get(key).cloned()
    }

    /// Writes `ops` durably, then applies them. Nothing is applied if the write fails.
    pub fn apply(&self, ops: Vec<Op>) -> Result<(), JournalError> {
        self.change(|_| (ops, ()))
    }

    /// Computes a change set (and an answer) from the current spaces and writes it, with no
    /// other change in between (for take-and-delete, merges and deletions by pattern). The
    /// answer is returned only once the change is durable.
    pub fn change<R>(
        &self,
        compute: impl FnOnce(&Spaces) -> (Vec<Op>, R),
    ) -> Result<R, JournalError> {
        let mut writer = self.writer.lock();
        let (ops, answer) = compute(&self.spaces.read());
        if ops.is_empty() {
            return Ok(answer);
        }
        let seq = writer
            .seq
            .checked_add(1)
            .ok_or_else(|| JournalError::Corrupt {
                path: self.journal_path.clone(),
                line: 0,
                reason: "the sequence number is at its maximum".into(),
            })?;
        let mut line = serde_json::to_vec(&Line {
            seq,
            ops: ops.iter().map(WireOp::from).collect(),
        })
        .map_err(|e| JournalError::Io {
            path: self.journal_path.clone(),
            source: io::Error::other(e),
        })?;
        line.push(b'\n');
        let written = writer
            .file
            .write_all(&line)
            .and_then(|()| writer.file.sync_data());
        if let Err(source) = written {
            // Cut back to what was acknowledged, through a fresh descriptor (a failed fsync is
            // never retried on the same one); the next change tries again.
            let cut = OpenOptions::new()
                .write(true)
                .open(&self.journal_path)
                .and_then(|f| f.set_len(writer.len).and_then(|()| f.sync_all()));
            if let Ok(file) = OpenOptions::new()
                .read(true)
                .append(true)
                .open(&self.journal_path)
            {
                writer.file = file;
            }
            if let Err(e) = cut {
                tracing::error!(file = %self.journal_path.display(), error = %e, "cannot cut the journal back after a failed write");
            }
            return Err(JournalError::Io {
                path: self.journal_path.clone(),
                source,
            });
        }
        writer.len += line.len() as u64;
        writer.seq = seq;
        {
            let mut spaces = self.spaces.write();
            for op in ops {
                op.apply(&mut spaces);
            }
        }
        if writer.len > COMPACT_AFTER_BYTES {
            if let Err(e) = self.compact(&mut writer) {
                // The journal keeps everything; compaction is tried again after the next change.
                tracing::warn!(error = %e, "journal compaction failed");
            }
        }
        Ok(answer)
    }

    /// Writes everything into a new snapshot and empties the journal.
    fn compact(&self, writer: &mut Writer) -> Result<(), JournalError> {
        let snapshot = {
            let spaces = self.spaces.read();
            Snapshot {
                version: 1,
                seq: writer.seq,
                spaces: spaces
                    .iter()
                    .map(|(name, entries)| {
                        let encoded = entries
                            .iter()
                            .map(|(k, v)| (k.clone(), BASE64.encode(v)))
                            .collect();
                        (name.clone(), encoded)
                    })
                    .collect(),
            }
        };
        let bytes = serde_json::to_vec(&snapshot).map_err(|e| JournalError::Io {
            path: self.snapshot_path.clone(),
            source: io::Error::other(e),
        })?;
        write_atomic(&self.snapshot_path, &bytes, 0o600).map_err(io_err(&self.snapshot_path))?;
        writer
            .file
            .set_len(0)
            .and_then(|()| writer.file.sync_all())
            .map_err(io_err(&self.journal_path))?;
        writer.len = 0;
        Ok(())
    }

    /// Bytes in the journal not yet folded into the snapshot.
    pub fn journal_len(&self) -> u64 {
        self.writer.lock().len
    }
}

fn read_snapshot(path: &Path) -> Result<(Spaces, u64), JournalError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Spaces::new(), 0)),
        Err(e) => return Err(io_err(path)(e)),
    };
    let corrupt = |reason: String| JournalError::Corrupt {
        path: path.to_path_buf(),
        line: 1,
        reason,
    };
    let snapshot: Snapshot = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if snapshot.version != 1 {
        return Err(corrupt(format!(
            "format {} is newer than this version of Cocolu reads",
            snapshot.version
        )));
    }
    let mut spaces = Spaces::new();
    for (name, entries) in snapshot.spaces {
        let mut space = Space::new();
        for (key, value) in entries {
            let value = BASE64
                .decode(value)
                .map_err(|e| corrupt(format!("`{name}`/`{key}` is not base64: {e}")))?;
            space.insert(key, value);
        }
        spaces.insert(name, space);
    }
    Ok((spaces, snapshot.seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path) -> Journal {
        Journal::open(dir, "keys").expect("opens")
    }

    #[test]
    fn changes_survive_a_reopen_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = open(dir.path());
        journal
            .apply(vec![Op::put("session", "a", b"one".to_vec())])
            .expect("put");
        journal
            .apply(vec![
                Op::put("session", "a", b"two".to_vec()),
                Op::put("session", "b", vec![0, 255]),
                Op::put("identity", "a", vec![7; 32]),
            ])
            .expect("batch");
        journal
            .apply(vec![Op::delete("session", "b")])
            .expect("delete");
        journal
            .apply(vec![Op::put("macs:x", "1", vec![1]), Op::clear("identity")])
            .expect("clear");
        drop(journal);
        let again = open(dir.path());
        assert_eq!(again.get("session", "a"), Some(b"two".to_vec()));
        assert_eq!(again.get("session", "b"), None);
        assert_eq!(again.get("identity", "a"), None);
        assert_eq!(again.get("macs:x", "1"), Some(vec![1]));
    }

    #[test]
    fn a_torn_last_line_is_cut_and_earlier_changes_stay() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = open(dir.path());
        journal
            .apply(vec![Op::put("session", "a", b"kept".to_vec())])
            .expect("put");
        drop(journal);
        let path = dir.path().join("keys.jsonl");
        let mut file = OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("journal");
        file.write_all(br#"{"seq":2,"ops":[["put","session","b","AAA"#)
            .expect("torn write");
        drop(file);
        let again = open(dir.path());
        assert_eq!(again.get("session", "a"), Some(b"kept".to_vec()));
        assert_eq!(again.get("session", "b"), None);
        // The next change lands on a clean line.
        again
            .apply(vec![Op::put("session", "c", b"next".to_vec())])
            .expect("put after cut");
        drop(again);
        assert_eq!(open(dir.path()).get("session", "c"), Some(b"next".to_vec()));
    }

    #[test]
    fn corruption_in_the_middle_refuses_to_open_and_names_the_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = open(dir.path());
        for key in ["a", "b", "c"] {
            journal
                .apply(vec![Op::put("session", key, key.as_bytes().to_vec())])
                .expect("put");
        }
        drop(journal);
        let path = dir.path().join("keys.jsonl");
        let text = fs::read_to_string(&path).expect("read");
        let broken: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| if i == 1 { "{not json".into() } else { l.into() })
            .collect();
        fs::write(&path, broken.join("\n") + "\n").expect("write");
        let error = Journal::open(dir.path(), "keys").err().expect("refuses");
        let message = error.to_string();
        assert!(message.contains("keys.jsonl:2"), "{message}");
        // Nothing was changed on disk.
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            broken.join("\n") + "\n"
        );
    }

    #[test]
    fn compaction_keeps_everything_and_a_stale_journal_is_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = open(dir.path());
        let big = vec![9u8; 64 * 1024];
        let mut n = 0;
        while journal.journal_len() > 0 || n == 0 {
            journal
                .apply(vec![Op::put("session", &format!("k{n}"), big.clone())])
                .expect("put");
            n += 1;
            assert!(n < 1000, "compaction happened");
        }
        assert!(dir.path().join("keys.snapshot.json").exists());
        journal
            .apply(vec![Op::put("session", "after", b"x".to_vec())])
            .expect("put after compaction");
        drop(journal);
        let again = open(dir.path());
        assert_eq!(again.read(|s| s["session"].len()), n + 1);
        assert_eq!(again.get("session", "k0"), Some(big.clone()));
        drop(again);

        // A crash between writing the snapshot and emptying the journal leaves lines the
        // snapshot already holds; they are skipped (an old put of `k0` must not bring back
        // the deleted key).
        let journal = open(dir.path());
        journal
            .apply(vec![Op::delete("session", "k0")])
            .expect("delete");
        let stale = fs::read(dir.path().join("keys.jsonl")).expect("journal");
        {
            let mut writer = journal.writer.lock();
            journal.compact(&mut writer).expect("compact");
        }
        drop(journal);
        fs::write(
            dir.path().join("keys.jsonl"),
            [
                stale.clone(),
                br#"{"seq":1,"ops":[["put","session","k0","AA=="]]}"#.to_vec(),
                b"\n".to_vec(),
            ]
            .concat(),
        )
        .expect("old line");
        let again = open(dir.path());
        assert_eq!(again.get("session", "k0"), None, "old lines are skipped");
        assert_eq!(again.get("session", "after"), Some(b"x".to_vec()));
    }

    #[test]
    fn a_change_computed_from_the_current_state() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = open(dir.path());
        journal
            .apply(vec![
                Op::put("sent", "chat\u{0}1", b"payload".to_vec()),
                Op::put("sent", "chat\u{0}2", b"other".to_vec()),
            ])
            .expect("put");
        let taken = journal
            .change(|spaces| {
                let taken = spaces
                    .get("sent")
                    .and_then(|s| s.get("chat\u{0}1"))
                    .cloned();
                (vec![Op::delete("sent", "chat\u{0}1")], taken)
            })
            .expect("take");
        assert_eq!(taken, Some(b"payload".to_vec()));
        assert_eq!(journal.get("sent", "chat\u{0}1"), None);
        assert_eq!(journal.get("sent", "chat\u{0}2"), Some(b"other".to_vec()));
    }

    /// The writer of the crash loop below, run as a child process: writes keys `from`, `from +
    /// 1`, ... (each a change set of two puts and, every tenth, a delete) and prints `ack N` once
    /// key N's change is durable. Ignored when the tests run; the crash loop starts it.
    #[test]
    #[ignore = "run by a_kill_9_loses_no_acknowledged_write as its child process"]
    fn journal_writer_child() {
        let Some(dir) = std::env::var_os("COCOLU_JOURNAL_CHILD_DIR") else {
            return;
        };
        let from: u64 = std::env::var("COCOLU_JOURNAL_CHILD_FROM")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let journal = Journal::open(Path::new(&dir), "keys").expect("child opens");
        let mut out = std::io::stdout();
        for n in from.. {
            let mut ops = vec![
                Op::put("session", &format!("k{n}"), value_of(n)),
                Op::put("identity", &format!("k{n}"), vec![(n % 251) as u8; 32]),
            ];
            if n % 10 == 9 {
                ops.push(Op::delete("identity", &format!("k{}", n - 9)));
            }
            journal.apply(ops).expect("durable write");
            writeln!(out, "ack {n}").expect("stdout");
            out.flush().expect("flush");
        }
    }

    fn value_of(n: u64) -> Vec<u8> {
        // Sizes vary so that kills land inside writes of different lengths.
        let len = 16 + (n as usize * 37) % 3000;
        (0..len).map(|i| (n as usize + i) as u8).collect()
    }

    #[test]
    fn a_kill_9_loses_no_acknowledged_write() {
        use std::io::BufRead as _;
        use std::process::{Command, Stdio};
        let dir = tempfile::tempdir().expect("temp dir");
        let exe = std::env::current_exe().expect("test binary");
        let mut next = 0u64;
        for cycle in 0..12u64 {
            let mut child = Command::new(&exe)
                .args([
                    "--exact",
                    "store::journal::tests::journal_writer_child",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("COCOLU_JOURNAL_CHILD_DIR", dir.path())
                .env("COCOLU_JOURNAL_CHILD_FROM", next.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("child starts");
            let stdout = child.stdout.take().expect("stdout");
            let mut acked = None;
            // Let it write a varying number of keys, then kill it without warning.
            let wanted = 20 + (cycle * 53) % 200;
            for line in std::io::BufReader::new(stdout).lines() {
                let line = line.expect("line");
                if let Some(n) = line.strip_prefix("ack ") {
                    let n: u64 = n.parse().expect("number");
                    acked = Some(n);
                    if n + 1 - next >= wanted {
                        break;
                    }
                }
            }
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            let last = acked.expect("the child acknowledged writes");
            let journal = Journal::open(dir.path(), "keys").expect("reopens after kill -9");
            for n in 0..=last {
                assert_eq!(
                    journal.get("session", &format!("k{n}")),
                    Some(value_of(n)),
                    "cycle {cycle}: acknowledged key {n} survives"
                );
                if n % 10 == 0 && n + 9 > last {
                    // Deleted by a change after the last acknowledged one: the child goes on
                    // writing while its acknowledgements travel through the pipe, so any
                    // number of those changes may or may not have reached the disk.
                    continue;
                }
                let deleted = n % 10 == 0 && n + 9 <= last;
                assert_eq!(
                    journal.get("identity", &format!("k{n}")).is_some(),
                    !deleted,
                    "cycle {cycle}: identity k{n}"
                );
            }
            // Whatever the child wrote after its last acknowledgement may or may not be there;
            // the next cycle writes on from the first key not acknowledged.
            next = last + 1;
        }
    }
}
