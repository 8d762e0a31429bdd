//! Signed-in sessions, kept in memory and in `sessions.json` so they survive restarts. The
//! file holds only SHA-256 digests of the session ids: a copy of the data folder does not
//! let anyone in. A session ends on logout, after the idle or the absolute timeout, when its
//! user's password changes, or when the user is removed or disabled.

use super::secret;
use crate::store::atomic::write_atomic;
use crate::store::document::FILE_MODE;
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The file inside the data folder.
pub const FILE: &str = "sessions.json";

/// How long sessions last.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            idle: Duration::from_secs(7 * 24 * 3600),
            absolute: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// One session, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// SHA-256 of the id in the cookie.
    pub id_hash: String,
    pub user_id: String,
    /// The user's `password_changed_at` when the session began.
    pub password_stamp: i64,
    /// The token state-changing requests must carry in `X-CSRF-Token`.
    pub csrf: String,
    pub created_at: i64,
    pub last_seen: i64,
    /// The client's address and browser at sign-in, for the user's list of sessions.
    #[serde(default)]
    pub ip: String,
    #[serde(default)]
    pub user_agent: String,
}

/// Last-seen times are written at most this often (and at shutdown).
const TOUCH_EVERY_MS: i64 = 60_000;

#[derive(Debug, Default, Serialize, Deserialize)]
struct SessionsFile {
    version: u32,
    sessions: Vec<Session>,
}

/// Every live session.
pub struct Sessions {
    path: PathBuf,
    table: RwLock<HashMap<String, Session>>,
    /// Something changed that only the periodic flush writes (last-seen times).
    dirty: AtomicBool,
    /// Serializes writes of the file.
    writing: Mutex<()>,
    /// Counts the times sessions were ended, for live connections to re-check theirs.
    ended: tokio::sync::watch::Sender<u64>,
    pub timeouts: Timeouts,
}

impl Sessions {
    /// Loads `sessions.json` from `dir`. A missing or unreadable file starts with no
    /// sessions (people sign in again), which is logged.
    pub fn open(dir: &Path, timeouts: Timeouts) -> Sessions {
        let path = dir.join(FILE);
        let table = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<SessionsFile>(&bytes) {
                Ok(file) => file
                    .sessions
                    .into_iter()
                    .map(|s| (s.id_hash.clone(), s))
                    .collect(),
                Err(error) => {
                    tracing::warn!(%error, file = FILE, "unreadable; everyone signs in again");
                    HashMap::new()
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => HashMap::new(),
            Err(error) => {
                tracing::warn!(%error, file = FILE, "unreadable; everyone signs in again");
                HashMap::new()
            }
        };
        Sessions {
            path,
            table: RwLock::new(table),
            dirty: AtomicBool::new(false),
            writing: Mutex::new(()),
            ended: tokio::sync::watch::Sender::new(0),
            timeouts,
        }
    }

    /// Whether `session` has timed out at `now`.
    pub fn expired(&self, session: &Session, now: i64) -> bool {
        now.saturating_sub(session.last_seen) > self.timeouts.idle.as_millis() as i64
            || now.saturating_sub(session.created_at) > self.timeouts.absolute.as_millis() as i64
    }

    /// Starts a session; returns the id for the cookie (shown nowhere else) and the session.
    /// Writes the file (blocking).
    pub fn create(
        &self,
        user_id: &str,
        password_stamp: i64,
        now: i64,
        ip: String,
        user_agent: String,
    ) -> io::Result<(String, Session)> {
        let id = secret::hex(&secret::random_bytes::<32>());
        let session = Session {
            id_hash: secret::digest(&id),
            user_id: user_id.to_string(),
            password_stamp,
            csrf: secret::hex(&secret::random_bytes::<16>()),
            created_at: now,
            last_seen: now,
            ip,
            user_agent: user_agent.chars().take(200).collect(),
        };
        self.table
            .write()
            .insert(session.id_hash.clone(), session.clone());
        self.save()?;
        Ok((id, session))
    }

    /// The live session whose cookie id is `id`; refreshes its last-seen time.
    pub fn find(&self, id: &str, now: i64) -> Option<Session> {
        let hash = secret::digest(id);
        let session = self.table.read().get(&hash).cloned()?;
        if self.expired(&session, now) {
            return None;
        }
        if now - session.last_seen >= TOUCH_EVERY_MS {
            if let Some(stored) = self.table.write().get_mut(&hash) {
                stored.last_seen = now;
            }
            self.dirty.store(true, Ordering::Relaxed);
        }
        Some(session)
    }

    /// The live session whose cookie id is `id`, without refreshing its last-seen time.
    pub fn peek(&self, id: &str, now: i64) -> Option<Session> {
        let session = self.table.read().get(&secret::digest(id)).cloned()?;
        (!self.expired(&session, now)).then_some(session)
    }

    /// Ends the sessions for which `end` is true; writes the file if any ended (blocking).
    /// Live connections opened with them are told at once (see [`Sessions::changes`]).
    pub fn end_where(&self, end: impl Fn(&Session) -> bool) -> io::Result<usize> {
        let ended = {
            let mut table = self.table.write();
            let before = table.len();
            table.retain(|_, s| !end(s));
            before - table.len()
        };
        if ended > 0 {
            self.ended.send_modify(|n| *n = n.wrapping_add(1));
            self.save()?;
        }
        Ok(ended)
    }

    /// Wakes whenever sessions end (sign-out, a password change, a user removed).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.ended.subscribe()
    }

    /// Ends the sessions that have timed out at `now` (idle or past their absolute age) and
    /// writes the file if any did (blocking). Without this a session nobody comes back to
    /// would stay in memory and in the file for ever: `find` refuses it but cannot remove it.
    pub fn end_expired(&self, now: i64) -> io::Result<usize> {
        self.end_where(|session| self.expired(session, now))
    }

    /// Gives a session a new password stamp (the user changed their password in it).
    pub fn restamp(&self, id_hash: &str, stamp: i64) -> io::Result<()> {
        if let Some(session) = self.table.write().get_mut(id_hash) {
            session.password_stamp = stamp;
        }
        self.save()
    }

    /// The sessions of one user.
    pub fn of_user(&self, user_id: &str) -> Vec<Session> {
        self.table
            .read()
            .values()
            .filter(|s| s.user_id == user_id)
            .cloned()
            .collect()
    }

    /// Writes the file if last-seen times changed since the last write (blocking).
    pub fn flush(&self) -> io::Result<()> {
        if self.dirty.load(Ordering::Relaxed) {
            self.save()
        } else {
            Ok(())
        }
    }

    /// Writes every session to the file atomically (blocking).
    fn save(&self) -> io::Result<()> {
        let _guard = self.writing.lock();
        self.dirty.store(false, Ordering::Relaxed);
        let mut sessions: Vec<Session> = self.table.read().values().cloned().collect();
        sessions.sort_by_key(|s| s.created_at);
        let file = SessionsFile {
            version: 1,
            sessions,
        };
        let mut text = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
        text.push(b'\n');
        write_atomic(&self.path, &text, FILE_MODE).inspect_err(|_| {
            self.dirty.store(true, Ordering::Relaxed);
        })
    }

    /// Number of sessions held.
    pub fn len(&self) -> usize {
        self.table.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeouts() -> Timeouts {
        Timeouts {
            idle: Duration::from_secs(600),
            absolute: Duration::from_secs(3600),
        }
    }

    #[test]
    fn sessions_survive_a_restart_and_the_file_holds_no_ids() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sessions = Sessions::open(tmp.path(), timeouts());
        let (id, _) = sessions
            .create("u1", 7, 1_000, "127.0.0.1".into(), "test".into())
            .expect("created");
        let text = std::fs::read_to_string(tmp.path().join(FILE)).expect("written");
        assert!(!text.contains(&id), "the cookie id is not stored");

        let reopened = Sessions::open(tmp.path(), timeouts());
        let found = reopened.find(&id, 2_000).expect("still valid");
        assert_eq!((found.user_id.as_str(), found.password_stamp), ("u1", 7));
        assert!(reopened.find("not-an-id", 2_000).is_none());
    }

    #[test]
    fn idle_and_absolute_timeouts_end_sessions() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sessions = Sessions::open(tmp.path(), timeouts());
        let (id, _) = sessions
            .create("u1", 0, 0, String::new(), String::new())
            .expect("created");
        assert!(sessions.find(&id, 599_000).is_some());
        assert!(sessions.find(&id, 599_000 + 601_000).is_none(), "idle");
        // Kept alive by use, it still ends an hour after sign-in.
        let (id, _) = sessions
            .create("u1", 0, 0, String::new(), String::new())
            .expect("created");
        let mut now = 0;
        while now < 3_600_000 {
            assert!(sessions.find(&id, now).is_some(), "alive at {now}");
            now += 50_000;
        }
        assert!(sessions.find(&id, 3_600_001).is_none(), "absolute");
    }

    #[test]
    fn expired_sessions_are_removed_from_memory_and_from_the_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sessions = Sessions::open(tmp.path(), timeouts());
        let (idle, _) = sessions
            .create("u1", 0, 0, String::new(), String::new())
            .expect("created");
        let (used, _) = sessions
            .create("u2", 0, 0, String::new(), String::new())
            .expect("created");
        let (fresh, _) = sessions
            .create("u3", 0, 500_000, String::new(), String::new())
            .expect("created");
        assert!(sessions.find(&used, 300_000).is_some());

        let ended = sessions.end_expired(700_000).expect("written");

        assert_eq!(ended, 1, "only the session idle for over ten minutes");
        assert_eq!(sessions.len(), 2);
        let reopened = Sessions::open(tmp.path(), timeouts());
        assert_eq!(reopened.len(), 2, "the removal was written to the file");
        assert!(reopened.find(&idle, 700_000).is_none());
        assert!(reopened.find(&used, 700_000).is_some());
        assert!(reopened.find(&fresh, 700_000).is_some());
    }

    #[test]
    fn sessions_past_their_absolute_age_are_removed_even_when_used() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sessions = Sessions::open(tmp.path(), timeouts());
        let (id, _) = sessions
            .create("u1", 0, 0, String::new(), String::new())
            .expect("created");
        let mut now = 0;
        while now < 3_600_000 {
            sessions.find(&id, now);
            now += 300_000;
        }

        assert_eq!(sessions.end_expired(3_600_001).expect("written"), 1);
        assert!(Sessions::open(tmp.path(), timeouts()).is_empty());
    }

    #[test]
    fn nothing_is_written_when_no_session_expired() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sessions = Sessions::open(tmp.path(), timeouts());
        sessions
            .create("u1", 0, 0, String::new(), String::new())
            .expect("created");
        let path = tmp.path().join(FILE);
        std::fs::remove_file(&path).expect("removed");

        assert_eq!(sessions.end_expired(1_000).expect("nothing to write"), 0);
        assert!(!path.exists(), "the file was not rewritten");
    }

    #[test]
    fn last_seen_times_are_written_by_the_flush() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sessions = Sessions::open(tmp.path(), timeouts());
        let (id, _) = sessions
            .create("u1", 0, 0, String::new(), String::new())
            .expect("created");
        sessions.find(&id, 30_000);
        sessions.find(&id, 70_000);
        sessions.flush().expect("flushed");
        let reopened = Sessions::open(tmp.path(), timeouts());
        assert!(
            reopened.find(&id, 650_000).is_some(),
            "the use at 70 s was remembered"
        );
        assert_eq!(sessions.end_where(|s| s.user_id == "u1").expect("ended"), 1);
        assert!(Sessions::open(tmp.path(), timeouts()).is_empty());
    }
}
