//! The append-only log: JSON Lines in segment files `log/NNNNNN-YYYY-MM.jsonl`, a new segment
//! each month or when one passes the size limit.
//!
//! Invariants:
//! - One writer thread owns the files. Appends queue up while it syncs, and everything queued
//!   is written and made durable with one `fdatasync` (group commit). An append is answered
//!   only after its batch is synced, so an acknowledged record survives a crash.
//! - A failed write or sync is answered with an error and the segment is cut back to its last
//!   synced length (through a fresh descriptor: a failed `fsync` is never retried on the same
//!   one), so what is on disk is exactly what was acknowledged. The next append tries again,
//!   which is how the log recovers once the disk has space again.
//! - At start-up the part of the log not yet verified is scanned: a torn tail (an incomplete
//!   last line, or garbage after the last good line, from a crash mid-write) is cut off with a
//!   warning; a bad line followed by good ones is corruption and stops start-up, naming file
//!   and line, unless a repair is asked for, which copies the line aside into `log/corrupt/`
//!   and blanks it in place (offsets, and so every stored position, stay valid).
//! - Sealed segments are recorded in `log/checkpoint.json` with their length, so start-up scans
//!   only the active segment, never the whole history.

use super::atomic::{sync_dir, write_atomic};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Default size at which a segment is sealed and a new one started.
pub const MAX_SEGMENT_BYTES: u64 = 32 * 1024 * 1024;
/// At most this many bytes go into one batch.
const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
const CHECKPOINT_FILE: &str = "checkpoint.json";
const CORRUPT_DIR: &str = "corrupt";

/// Where a record is: segment number, byte offset and length (without the newline).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub segment: u32,
    pub offset: u64,
    pub len: u32,
}

/// Why the log refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot write the log ({path}): {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{file}:{line}: corrupt record in the middle of the log ({reason}); run `cocolu repair` \
         to move it aside into log/corrupt/"
    )]
    Corrupt {
        file: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("a log record must be one line of JSON")]
    InvalidRecord,
    #[error("the log writer has stopped")]
    Stopped,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A segment file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub id: u32,
    /// `YYYY-MM` of the records it holds.
    pub month: String,
    /// Length in bytes (for the active segment: as of the last sync).
    pub len: u64,
}

impl Segment {
    pub fn file_name(&self) -> String {
        format!("{:06}-{}.jsonl", self.id, self.month)
    }

    fn parse_name(name: &str) -> Option<(u32, String)> {
        let stem = name.strip_suffix(".jsonl")?;
        let (id, month) = stem.split_once('-')?;
        let valid_month = month.len() == 7 && month.as_bytes()[4] == b'-';
        Some((id.parse().ok()?, month.to_string())).filter(|_| valid_month)
    }
}

/// What start-up found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Bytes cut from the end of the active segment (a torn write).
    pub truncated_bytes: u64,
    /// Lines copied aside and blanked by a repair: (file, line).
    pub repaired: Vec<(String, u64)>,
    /// Records scanned (the part not covered by the checkpoint).
    pub scanned_records: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Checkpoint {
    version: u32,
    /// Segments sealed and verified.
    sealed: Vec<Segment>,
}

/// The month a record written now belongs to, `YYYY-MM` in UTC.
pub fn current_month() -> String {
    let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC);
    format!("{:04}-{:02}", now.year(), now.month())
}

/// A bad line found by a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number in its segment.
    pub line: u64,
    pub offset: u64,
    pub bytes: Vec<u8>,
}

impl BadLine {
    /// Why the line is not a record, for a person.
    pub fn reason(&self) -> String {
        if self.bytes.iter().all(|b| *b == 0) {
            "zero bytes".to_string()
        } else {
            serde_json::from_slice::<serde::de::IgnoredAny>(&self.bytes)
                .err()
                .map_or_else(|| "not JSON".to_string(), |e| e.to_string())
        }
    }
}

/// What a scan of one segment found; it changes nothing.
#[derive(Debug, Default)]
pub struct SegmentScan {
    /// Length of the prefix that ends with the last good record.
    pub valid_end: u64,
    /// Bad lines followed by good records: corruption.
    pub corrupt: Vec<BadLine>,
    /// Records in the valid prefix.
    pub records: u64,
}

/// Reads a segment and classifies its lines. Bad lines after the last good record are a torn
/// tail (left out of `valid_end`); bad lines before a good record are corruption.
pub fn scan_segment(path: &Path) -> Result<SegmentScan, LogError> {
    let file = File::open(path).map_err(io_err(path))?;
    let mut reader = BufReader::new(file);
    let mut scan = SegmentScan::default();
    let mut offset = 0u64;
    let mut line_no = 0u64;
    let mut pending_bad: Vec<BadLine> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(io_err(path))?;
        if read == 0 {
            break;
        }
        line_no += 1;
        let start = offset;
        offset += read as u64;
        let complete = line.last() == Some(&b'\n');
        let body = if complete {
            &line[..line.len() - 1]
        } else {
            &line[..]
        };
        let blank = body.iter().all(|b| b.is_ascii_whitespace());
        let good =
            complete && (blank || serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok());
        if !good {
            pending_bad.push(BadLine {
                line: line_no,
                offset: start,
                bytes: body.to_vec(),
            });
            continue;
        }
        scan.corrupt.append(&mut pending_bad);
        if !blank {
            scan.records += 1;
        }
        scan.valid_end = offset;
    }
    Ok(scan)
}

/// Copies a corrupt line into `log/corrupt/` and overwrites it with spaces.
fn blank_line(dir: &Path, segment: &Segment, bad: &BadLine) -> Result<(), LogError> {
    let aside_dir = dir.join(CORRUPT_DIR);
    super::create_private_dir(&aside_dir).map_err(io_err(&aside_dir))?;
    let aside = aside_dir.join(format!("{}.line-{}", segment.file_name(), bad.line));
    write_atomic(&aside, &bad.bytes, 0o600).map_err(io_err(&aside))?;
    let path = dir.join(segment.file_name());
    let writable = OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(io_err(&path))?;
    writable
        .write_all_at(&vec![b' '; bad.bytes.len()], bad.offset)
        .map_err(io_err(&path))?;
    writable.sync_data().map_err(io_err(&path))?;
    tracing::warn!(file = %path.display(), line = bad.line, aside = %aside.display(), "corrupt log record moved aside");
    Ok(())
}

/// The segments in a log folder, oldest first.
pub fn list_segments(dir: &Path) -> Result<Vec<Segment>, LogError> {
    let mut segments = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if let Some((id, month)) = Segment::parse_name(&name) {
            let len = entry.metadata().map_err(io_err(dir))?.len();
            segments.push(Segment { id, month, len });
        }
    }
    segments.sort_by_key(|s| s.id);
    Ok(segments)
}

fn read_checkpoint(dir: &Path) -> Checkpoint {
    fs::read(dir.join(CHECKPOINT_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn write_checkpoint(dir: &Path, checkpoint: &Checkpoint) -> Result<(), LogError> {
    let path = dir.join(CHECKPOINT_FILE);
    let text = serde_json::to_vec_pretty(checkpoint).unwrap_or_default();
    write_atomic(&path, &text, 0o600).map_err(io_err(&path))
}

/// The log's files and the writer that appends to them.
pub struct Log {
    dir: PathBuf,
    sender: mpsc::Sender<Request>,
    segments: Arc<parking_lot::RwLock<Vec<Segment>>>,
}

struct Request {
    records: Vec<Vec<u8>>,
    reply: oneshot::Sender<Result<Vec<Position>, LogError>>,
}

/// Options for opening the log.
#[derive(Clone, Debug)]
pub struct LogOptions {
    pub max_segment_bytes: u64,
    /// Move corrupt records aside instead of refusing to start.
    pub repair: bool,
}

impl Default for LogOptions {
    fn default() -> LogOptions {
        LogOptions {
            max_segment_bytes: MAX_SEGMENT_BYTES,
            repair: false,
        }
    }
}

impl Log {
    /// Opens (creating) the log in `dir`, recovers its tail, and starts the writer thread.
    pub fn open(dir: &Path, options: LogOptions) -> Result<(Log, Recovery), LogError> {
        super::create_private_dir(dir).map_err(io_err(dir))?;
        let mut segments = list_segments(dir)?;
        let mut checkpoint = read_checkpoint(dir);
        let mut recovery = Recovery::default();
        let last_id = segments.last().map(|s| s.id);
        for segment in &mut segments {
            let sealed = checkpoint.sealed.iter().any(|s| s == segment);
            if sealed && Some(segment.id) != last_id {
                continue;
            }
            let path = dir.join(segment.file_name());
            let scan = scan_segment(&path)?;
            if let Some(first) = scan.corrupt.first() {
                if !options.repair {
                    return Err(LogError::Corrupt {
                        file: path,
                        line: first.line,
                        reason: first.reason(),
                    });
                }
                for bad in &scan.corrupt {
                    blank_line(dir, segment, bad)?;
                    recovery.repaired.push((segment.file_name(), bad.line));
                }
            }
            recovery.scanned_records += scan.records;
            let valid = scan.valid_end;
            if valid < segment.len {
                if Some(segment.id) != last_id {
                    return Err(LogError::Corrupt {
                        file: path,
                        line: 0,
                        reason: "a sealed segment ends in an incomplete record".into(),
                    });
                }
                tracing::warn!(
                    file = %path.display(),
                    bytes = segment.len - valid,
                    "cutting off an incomplete record at the end of the log (a write interrupted by a crash)"
                );
                let file = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io_err(&path))?;
                file.set_len(valid).map_err(io_err(&path))?;
                file.sync_all().map_err(io_err(&path))?;
                recovery.truncated_bytes += segment.len - valid;
                segment.len = valid;
            }
        }
        // Every segment but the last is sealed; remember that so the next start skips them.
        let sealed: Vec<Segment> = segments
            .iter()
            .take(segments.len().saturating_sub(1))
            .cloned()
            .collect();
        if checkpoint.sealed != sealed {
            checkpoint = Checkpoint { version: 1, sealed };
            write_checkpoint(dir, &checkpoint)?;
        }
        let segments = Arc::new(parking_lot::RwLock::new(segments));
        let (sender, receiver) = mpsc::channel();
        let writer = Writer {
            dir: dir.to_path_buf(),
            max_segment_bytes: options.max_segment_bytes,
            segments: segments.clone(),
            file: None,
        };
        std::thread::Builder::new()
            .name("cocolu-log".into())
            .spawn(move || writer.run(receiver))
            .map_err(io_err(dir))?;
        Ok((
            Log {
                dir: dir.to_path_buf(),
                sender,
                segments,
            },
            recovery,
        ))
    }

    /// Appends records (each one line of JSON, without the newline) and waits until they are
    /// durable. Either all of them are stored, in order, or none.
    pub async fn append(&self, records: Vec<Vec<u8>>) -> Result<Vec<Position>, LogError> {
        self.submit(records)?.await.map_err(|_| LogError::Stopped)?
    }

    /// Like [`Log::append`], for code that is not async (blocks the thread).
    pub fn append_blocking(&self, records: Vec<Vec<u8>>) -> Result<Vec<Position>, LogError> {
        self.submit(records)?
            .blocking_recv()
            .map_err(|_| LogError::Stopped)?
    }

    /// Checks the records and hands them to the writer; the answer comes once they are synced.
    fn submit(
        &self,
        records: Vec<Vec<u8>>,
    ) -> Result<oneshot::Receiver<Result<Vec<Position>, LogError>>, LogError> {
        if records.iter().any(|r| r.contains(&b'\n') || r.is_empty()) {
            return Err(LogError::InvalidRecord);
        }
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Request { records, reply })
            .map_err(|_| LogError::Stopped)?;
        Ok(answer)
    }

    /// The segments, oldest first.
    pub fn segments(&self) -> Vec<Segment> {
        self.segments.read().clone()
    }

    /// Reads one record back (blocking).
    pub fn read(&self, position: Position) -> io::Result<Vec<u8>> {
        let segment = self
            .segments
            .read()
            .iter()
            .find(|s| s.id == position.segment)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such log segment"))?;
        let file = File::open(self.dir.join(segment.file_name()))?;
        let mut bytes = vec![0; position.len as usize];
        file.read_exact_at(&mut bytes, position.offset)?;
        Ok(bytes)
    }

    /// Overwrites the record at `position` with spaces and makes that durable (blocking): the
    /// line is gone, and every other record keeps its place. Readers skip blank lines.
    pub fn blank(&self, position: Position) -> io::Result<()> {
        let name = self
            .segments
            .read()
            .iter()
            .find(|s| s.id == position.segment)
            .map(Segment::file_name)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such log segment"))?;
        let file = OpenOptions::new().write(true).open(self.dir.join(name))?;
        file.write_all_at(&vec![b' '; position.len as usize], position.offset)?;
        file.sync_data()
    }

    /// Reads the record that starts at `offset` in `segment`, up to its newline (blocking).
    pub fn read_line(&self, segment: u32, offset: u64) -> io::Result<Vec<u8>> {
        let name = self
            .segments
            .read()
            .iter()
            .find(|s| s.id == segment)
            .map(Segment::file_name)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such log segment"))?;
        let file = File::open(self.dir.join(name))?;
        let mut out = Vec::new();
        let mut chunk = vec![0; 4096];
        loop {
            let read = file.read_at(&mut chunk, offset + out.len() as u64)?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "record without its newline",
                ));
            }
            if let Some(end) = chunk[..read].iter().position(|b| *b == b'\n') {
                out.extend_from_slice(&chunk[..end]);
                return Ok(out);
            }
            out.extend_from_slice(&chunk[..read]);
        }
    }

    /// Calls `visit` for every record from `from` on (all when `None`), oldest first, skipping
    /// blanked lines (blocking).
    pub fn scan(
        &self,
        from: Option<Position>,
        mut visit: impl FnMut(Position, &[u8]),
    ) -> io::Result<()> {
        for segment in self.segments() {
            if from.is_some_and(|f| segment.id < f.segment) {
                continue;
            }
            let file = File::open(self.dir.join(segment.file_name()))?;
            let mut reader = BufReader::new(file);
            let mut offset = 0u64;
            let mut line = Vec::new();
            while offset < segment.len {
                line.clear();
                let read = reader.read_until(b'\n', &mut line)?;
                if read == 0 {
                    break;
                }
                let body = line.strip_suffix(b"\n").unwrap_or(&line);
                let position = Position {
                    segment: segment.id,
                    offset,
                    len: body.len() as u32,
                };
                offset += read as u64;
                if from.is_some_and(|f| position <= f)
                    || body.iter().all(|b| b.is_ascii_whitespace())
                {
                    continue;
                }
                visit(position, body);
            }
        }
        Ok(())
    }
}

/// The writer thread's state.
struct Writer {
    dir: PathBuf,
    max_segment_bytes: u64,
    segments: Arc<parking_lot::RwLock<Vec<Segment>>>,
    /// The active segment, open for writing; `None` after a failure (reopened next time).
    file: Option<File>,
}

impl Writer {
    fn run(mut self, receiver: mpsc::Receiver<Request>) {
        while let Ok(first) = receiver.recv() {
            let mut batch = vec![first];
            let mut bytes: usize = batch[0].records.iter().map(|r| r.len() + 1).sum();
            while bytes < MAX_BATCH_BYTES {
                let Ok(next) = receiver.try_recv() else { break };
                bytes += next.records.iter().map(|r| r.len() + 1).sum::<usize>();
                batch.push(next);
            }
            match self.write_batch(&batch) {
                Ok(positions) => {
                    for (request, positions) in batch.into_iter().zip(positions) {
                        let _ = request.reply.send(Ok(positions));
                    }
                }
                Err(error) => {
                    tracing::error!(%error, records = batch.len(), "log write failed; the appends are refused");
                    let message = error.to_string();
                    for request in batch {
                        let error = LogError::Io {
                            path: self.dir.clone(),
                            source: io::Error::other(message.clone()),
                        };
                        let _ = request.reply.send(Err(error));
                    }
                }
            }
        }
    }

    /// The active segment, rotated when the month changed or it is full, with its file open.
    fn active(&mut self) -> Result<Segment, LogError> {
        let month = current_month();
        let mut segments = self.segments.write();
        let needs_new = match segments.last() {
            None => true,
            Some(last) => last.month != month || last.len >= self.max_segment_bytes,
        };
        if needs_new {
            let id = match segments.last() {
                None => 1,
                Some(last) => last.id.checked_add(1).ok_or_else(|| {
                    io_err(&self.dir)(io::Error::other(
                        "the last segment's number is at its maximum; rename the log's segments",
                    ))
                })?,
            };
            let segment = Segment { id, month, len: 0 };
            let path = self.dir.join(segment.file_name());
            let file = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .open(&path)
                .map_err(io_err(&path))?;
            file.sync_all().map_err(io_err(&path))?;
            sync_dir(&self.dir).map_err(io_err(&self.dir))?;
            segments.push(segment);
            let sealed: Vec<Segment> = segments[..segments.len() - 1].to_vec();
            drop(segments);
            write_checkpoint(&self.dir, &Checkpoint { version: 1, sealed })?;
            self.file = Some(file);
        } else {
            drop(segments);
        }
        let segment = self
            .segments
            .read()
            .last()
            .cloned()
            .ok_or(LogError::Stopped)?;
        if self.file.is_none() {
            let path = self.dir.join(segment.file_name());
            let file = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(io_err(&path))?;
            // Whatever a failed batch left past the synced length goes.
            file.set_len(segment.len).map_err(io_err(&path))?;
            file.sync_all().map_err(io_err(&path))?;
            self.file = Some(file);
        }
        Ok(segment)
    }

    fn write_batch(&mut self, batch: &[Request]) -> Result<Vec<Vec<Position>>, LogError> {
        let segment = self.active()?;
        let mut buffer = Vec::new();
        let mut positions = Vec::with_capacity(batch.len());
        for request in batch {
            let mut mine = Vec::with_capacity(request.records.len());
            for record in &request.records {
                mine.push(Position {
                    segment: segment.id,
                    offset: segment.len + buffer.len() as u64,
                    len: record.len() as u32,
                });
                buffer.extend_from_slice(record);
                buffer.push(b'\n');
            }
            positions.push(mine);
        }
        let path = self.dir.join(segment.file_name());
        let result = match &self.file {
            Some(file) => file
                .write_all_at(&buffer, segment.len)
                .and_then(|()| file.sync_data()),
            None => Err(io::Error::other("the log segment is not open")),
        };
        if let Err(source) = result {
            // Never sync this descriptor again: reopen and cut back before the next batch.
            self.file = None;
            return Err(LogError::Io { path, source });
        }
        if let Some(last) = self.segments.write().last_mut() {
            last.len += buffer.len() as u64;
        }
        Ok(positions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize) -> Vec<u8> {
        format!(r#"{{"seq":{i},"text":"mensaje número {i} ✓"}}"#).into_bytes()
    }

    fn open(dir: &Path) -> (Log, Recovery) {
        Log::open(dir, LogOptions::default()).expect("log opens")
    }

    fn all(log: &Log) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        log.scan(None, |_, bytes| out.push(bytes.to_vec()))
            .expect("scan");
        out
    }

    #[tokio::test]
    async fn appended_records_read_back_in_order_and_by_position() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = open(dir.path());

        let first = log
            .append(vec![record(1), record(2)])
            .await
            .expect("stored");
        let second = log.append(vec![record(3)]).await.expect("stored");

        assert_eq!(all(&log), vec![record(1), record(2), record(3)]);
        assert_eq!(log.read(first[1]).expect("read"), record(2));
        assert_eq!(log.read(second[0]).expect("read"), record(3));
    }

    #[tokio::test]
    async fn concurrent_appends_are_all_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = open(dir.path());
        let log = Arc::new(log);
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let log = log.clone();
                tokio::spawn(async move { log.append(vec![record(i)]).await.expect("stored") })
            })
            .collect();
        for task in tasks {
            task.await.expect("joined");
        }
        let mut stored = all(&log);
        stored.sort();
        let mut expected: Vec<_> = (0..50).map(record).collect();
        expected.sort();
        assert_eq!(stored, expected);
    }

    #[test]
    fn a_record_with_a_newline_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = open(dir.path());
        assert!(matches!(
            log.append_blocking(vec![b"{\n}".to_vec()]),
            Err(LogError::InvalidRecord)
        ));
    }

    #[test]
    fn a_full_segment_is_sealed_and_skipped_at_the_next_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = LogOptions {
            max_segment_bytes: 100,
            repair: false,
        };
        let (log, _) = Log::open(dir.path(), options.clone()).expect("opens");
        for i in 0..10 {
            log.append_blocking(vec![record(i)]).expect("stored");
        }
        let segments = log.segments().len();
        assert!(segments > 2, "{segments} segments");
        drop(log);

        let (log, recovery) = Log::open(dir.path(), options).expect("reopens");

        assert_eq!(all(&log), (0..10).map(record).collect::<Vec<_>>());
        assert!(
            recovery.scanned_records < 10,
            "sealed segments are not rescanned: {recovery:?}"
        );
    }

    #[test]
    fn a_torn_tail_is_cut_off_and_appending_continues() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = open(dir.path());
        log.append_blocking(vec![record(1), record(2)])
            .expect("stored");
        let segment = dir.path().join(log.segments()[0].file_name());
        drop(log);
        let mut file = OpenOptions::new()
            .append(true)
            .open(&segment)
            .expect("open");
        std::io::Write::write_all(&mut file, b"{\"seq\":3,\"te").expect("torn write");
        drop(file);

        let (log, recovery) = open(dir.path());

        assert_eq!(recovery.truncated_bytes, 12);
        log.append_blocking(vec![record(4)]).expect("stored");
        assert_eq!(all(&log), vec![record(1), record(2), record(4)]);
    }

    #[test]
    fn trailing_zero_bytes_from_a_crash_are_cut_off() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = open(dir.path());
        log.append_blocking(vec![record(1)]).expect("stored");
        let segment = dir.path().join(log.segments()[0].file_name());
        drop(log);
        let len = fs::metadata(&segment).expect("meta").len();
        OpenOptions::new()
            .write(true)
            .open(&segment)
            .expect("open")
            .set_len(len + 4096)
            .expect("extend");

        let (log, recovery) = open(dir.path());

        assert_eq!(recovery.truncated_bytes, 4096);
        assert_eq!(all(&log), vec![record(1)]);
    }

    /// Stores three records, then flips a byte of the second (same length, as a disk fault
    /// would); returns the segment's name and the records' positions.
    fn log_with_corrupt_second_record(dir: &Path) -> (String, Vec<Position>) {
        let (log, _) = open(dir);
        let positions = log
            .append_blocking(vec![record(1), record(2), record(3)])
            .expect("stored");
        let name = log.segments()[0].file_name();
        drop(log);
        let path = dir.join(&name);
        let text = fs::read_to_string(&path)
            .expect("read")
            .replacen("\"seq\":2", "\"seq\"#2", 1);
        fs::write(&path, text).expect("corrupt");
        (name, positions)
    }

    #[test]
    fn a_corrupt_line_in_the_middle_stops_start_up_naming_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (name, _) = log_with_corrupt_second_record(dir.path());

        let error = Log::open(dir.path(), LogOptions::default())
            .err()
            .expect("refused");

        let message = error.to_string();
        assert!(message.contains(&format!("{name}:2:")), "{message}");
        assert!(message.contains("cocolu repair"), "{message}");
    }

    #[test]
    fn a_repair_moves_the_corrupt_line_aside_and_keeps_positions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (name, positions) = log_with_corrupt_second_record(dir.path());

        let (log, recovery) = Log::open(
            dir.path(),
            LogOptions {
                repair: true,
                ..LogOptions::default()
            },
        )
        .expect("repaired");

        assert_eq!(recovery.repaired, vec![(name.clone(), 2)]);
        assert_eq!(all(&log), vec![record(1), record(3)]);
        assert_eq!(log.read(positions[2]).expect("read"), record(3));
        let aside = fs::read_to_string(dir.path().join("corrupt").join(format!("{name}.line-2")))
            .expect("aside");
        assert!(aside.contains("\"seq\"#2"));
        drop(log);
        let (log, recovery) = open(dir.path());
        assert!(recovery.repaired.is_empty());
        assert_eq!(all(&log).len(), 2, "a repaired log starts cleanly");
    }

    mod cut_anywhere {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn cutting_a_segment_at_any_byte_recovers_a_prefix_of_its_records(count in 1usize..40, cut_permille in 0u64..=1000) {
                let dir = tempfile::tempdir().expect("tempdir");
                let (log, _) = open(dir.path());
                let records: Vec<Vec<u8>> = (0..count).map(record).collect();
                for chunk in records.chunks(3) {
                    log.append_blocking(chunk.to_vec()).expect("stored");
                }
                let path = dir.path().join(log.segments()[0].file_name());
                drop(log);
                let len = fs::metadata(&path).expect("meta").len();
                let cut = len * cut_permille / 1000;
                OpenOptions::new().write(true).open(&path).expect("open").set_len(cut).expect("cut");

                let (log, _) = open(dir.path());
                let recovered = all(&log);

                prop_assert!(recovered.len() <= records.len());
                prop_assert_eq!(&recovered[..], &records[..recovered.len()]);
                let whole_lines = fs::read(&path).expect("read").iter().filter(|b| **b == b'\n').count();
                prop_assert_eq!(recovered.len(), whole_lines);
                log.append_blocking(vec![record(999)]).expect("appends after recovery");
            }
        }
    }
}
