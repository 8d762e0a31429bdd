//! Password hashing with Argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane).
//!
//! Each hash needs 19 MiB of working memory. Hashing runs on blocking threads, at most
//! `concurrency` at a time, and each run borrows one of at most `concurrency` buffers that are
//! kept and reused: allocating a fresh 19 MiB buffer per hash was measured to leave about
//! 150 MB of RSS behind under glibc's allocator (per-thread arenas keep what they got).
//! Verifying for an unknown user costs the same as for a known one. The buffers are freed
//! again after a minute without hashing, so a quiet server gives the memory back.

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use parking_lot::Mutex;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// OWASP: m = 19 MiB, t = 2, p = 1.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const PASSES: u32 = 2;
pub const LANES: u32 = 1;
const OUTPUT_BYTES: usize = 32;
const SALT_BYTES: usize = 16;

/// Verified against when the user does not exist, so that the answer takes as long.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$Y29jb2x1LWR1bW15LXNhbHQ$t5carQb62NbL2zBMf1Xwp2UPt9dmLEictJtDGrXyIIg";

/// The most memory (KiB), passes and lanes a stored hash may ask for: a hand-edited
/// `users.json` must not make one sign-in allocate gigabytes or run for hours.
const MAX_MEMORY_KIB: u32 = 64 * 1024;
const MAX_PASSES: u32 = 10;
const MAX_LANES: u32 = 4;

/// Whether a stored hash's parameters are within what this server is willing to compute.
fn affordable(params: &Params) -> bool {
    params.m_cost() <= MAX_MEMORY_KIB
        && params.t_cost() <= MAX_PASSES
        && params.p_cost() <= MAX_LANES
}

fn params() -> Params {
    // The constants above are valid Argon2 parameters.
    #[allow(clippy::expect_used)]
    Params::new(MEMORY_KIB, PASSES, LANES, Some(OUTPUT_BYTES)).expect("valid Argon2 parameters")
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("argon2: {0}")]
    Argon2(String),
    #[error("the hashing thread stopped")]
    Stopped,
}

/// Hashes and verifies passwords off the async runtime, with bounded memory.
#[derive(Clone)]
pub struct Hasher {
    inner: Arc<Inner>,
}

struct Inner {
    permits: Semaphore,
    buffers: Mutex<Vec<Vec<Block>>>,
    /// Hashes since the buffers were last checked for release.
    recent_use: std::sync::atomic::AtomicBool,
    /// A release check is scheduled.
    reaper: std::sync::atomic::AtomicBool,
}

/// Buffers unused this long are freed.
const RELEASE_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

impl Hasher {
    /// At most `concurrency` hashes at once (and as many 19 MiB buffers).
    pub fn new(concurrency: usize) -> Hasher {
        Hasher {
            inner: Arc::new(Inner {
                permits: Semaphore::new(concurrency.max(1)),
                buffers: Mutex::new(Vec::new()),
                recent_use: std::sync::atomic::AtomicBool::new(false),
                reaper: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move |inner| inner.hash(&password)).await?
    }

    /// Whether `password` matches `phc`; with `None` (no such user) it takes as long and
    /// answers `false`.
    pub async fn verify(&self, password: String, phc: Option<String>) -> bool {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_string());
        let matched = self
            .run(move |inner| inner.verify(&password, &phc))
            .await
            .unwrap_or(false);
        known && matched
    }

    /// Runs `work` on a blocking thread once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let permits = self.inner.clone();
        let permit = permits
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Stopped)?;
        // The permit is held by the hash itself, not by this future: a client that hangs up
        // mid-sign-in drops the future, but the hash runs on, and so must still count.
        permit.forget();
        let inner = self.inner.clone();
        let result = tokio::task::spawn_blocking(move || {
            let result = work(&inner);
            inner.permits.add_permits(1);
            result
        })
        .await
        .map_err(|_| HashError::Stopped);
        self.schedule_release();
        result
    }

    /// Frees the buffers once no hash has run for [`RELEASE_AFTER`].
    fn schedule_release(&self) {
        use std::sync::atomic::Ordering;
        self.inner.recent_use.store(true, Ordering::Relaxed);
        if self.inner.reaper.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = self.inner.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RELEASE_AFTER).await;
                if !inner.recent_use.swap(false, Ordering::AcqRel) {
                    let freed = std::mem::take(&mut *inner.buffers.lock());
                    drop(freed);
                    inner.reaper.store(false, Ordering::Release);
                    // A hash that ran meanwhile schedules its own release.
                    if inner.recent_use.load(Ordering::Acquire)
                        && !inner.reaper.swap(true, Ordering::AcqRel)
                    {
                        continue;
                    }
                    break;
                }
            }
        });
    }

    /// How many 19 MiB buffers are held now.
    pub fn buffers_held(&self) -> usize {
        self.inner.buffers.lock().len()
    }

    /// The same, for the command line (no async runtime).
    pub fn hash_blocking(&self, password: &str) -> Result<String, HashError> {
        self.inner.hash(password)
    }
}

impl Inner {
    /// Runs Argon2id with a pooled buffer when the parameters are the standard ones.
    fn compute(
        &self,
        params: Params,
        password: &str,
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), HashError> {
        let blocks = params.block_count();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let pooled = blocks <= MEMORY_KIB as usize;
        let mut buffer = if pooled {
            self.buffers.lock().pop()
        } else {
            None
        }
        .unwrap_or_else(|| vec![Block::default(); blocks.max(MEMORY_KIB as usize)]);
        let result = argon
            .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut buffer[..blocks])
            .map_err(|e| HashError::Argon2(e.to_string()));
        if pooled {
            self.buffers.lock().push(buffer);
        }
        result
    }

    fn hash(&self, password: &str) -> Result<String, HashError> {
        let salt_bytes = super::secret::random_bytes::<SALT_BYTES>();
        let mut out = [0u8; OUTPUT_BYTES];
        let params = params();
        self.compute(params.clone(), password, &salt_bytes, &mut out)?;
        let salt =
            SaltString::encode_b64(&salt_bytes).map_err(|e| HashError::Argon2(e.to_string()))?;
        let output = Output::new(&out).map_err(|e| HashError::Argon2(e.to_string()))?;
        let phc = PasswordHash {
            algorithm: argon2::ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: (&params)
                .try_into()
                .map_err(|e: argon2::password_hash::Error| HashError::Argon2(e.to_string()))?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    fn verify(&self, password: &str, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let (Ok(params), Some(salt), Some(expected)) =
            (Params::try_from(&parsed), parsed.salt, parsed.hash)
        else {
            return false;
        };
        if parsed.algorithm != argon2::ARGON2ID_IDENT {
            return false;
        }
        if !affordable(&params) {
            tracing::warn!(
                "a stored password hash asks for more memory or passes than this server \
                 computes; that user cannot sign in until the password is reset"
            );
            return false;
        }
        let mut salt_buf = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
            return false;
        };
        let mut out = vec![0u8; expected.len()];
        if self.compute(params, password, salt, &mut out).is_err() {
            return false;
        }
        // `Output`'s equality is constant-time.
        Output::new(&out).is_ok_and(|computed| computed == expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = Hasher::new(2);
        let phc = hasher.hash("una clave larga".into()).await.expect("hashed");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            hasher
                .verify("una clave larga".into(), Some(phc.clone()))
                .await
        );
        assert!(!hasher.verify("otra clave".into(), Some(phc.clone())).await);
        assert!(!hasher.verify("una clave larga".into(), None).await);
        assert!(!hasher.verify("x".into(), Some("not a hash".into())).await);
        let again = hasher.hash("una clave larga".into()).await.expect("hashed");
        assert_ne!(phc, again, "every hash has its own salt");
    }

    #[tokio::test]
    async fn a_hash_asking_for_gigabytes_is_refused_without_computing_it() {
        let hasher = Hasher::new(1);
        let phc = hasher.hash("una clave larga".into()).await.expect("hashed");
        // Computing it would take 4 GiB: refused instead.
        let greedy = phc.replace("m=19456", "m=4194304");
        assert!(!hasher.verify("una clave larga".into(), Some(greedy)).await);
        let slow = phc.replace("t=2", "t=4000");
        assert!(!hasher.verify("una clave larga".into(), Some(slow)).await);
    }

    #[test]
    fn the_dummy_hash_is_well_formed_so_unknown_users_cost_a_full_hash() {
        let parsed = PasswordHash::new(DUMMY_HASH).expect("parses");
        assert_eq!(Params::try_from(&parsed).expect("params"), params());
        assert!(parsed.salt.is_some());
        assert_eq!(parsed.hash.map(|h| h.len()), Some(OUTPUT_BYTES));
    }

    #[tokio::test]
    async fn buffers_are_reused_and_bounded_by_the_concurrency() {
        let hasher = Hasher::new(2);
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash(format!("clave número {i}")).await })
            })
            .collect();
        for task in tasks {
            task.await.expect("joined").expect("hashed");
        }
        assert!(hasher.buffers_held() <= 2);
    }

    #[tokio::test(start_paused = true)]
    async fn buffers_are_freed_after_a_quiet_minute() {
        let hasher = Hasher::new(1);
        hasher.hash("una clave larga".into()).await.expect("hashed");
        assert_eq!(hasher.buffers_held(), 1);
        tokio::time::sleep(RELEASE_AFTER + std::time::Duration::from_secs(1)).await;
        assert_eq!(hasher.buffers_held(), 1, "used in the last minute: kept");
        tokio::time::sleep(RELEASE_AFTER).await;
        assert_eq!(hasher.buffers_held(), 0, "a quiet minute: freed");
        hasher
            .hash("otra clave larga".into())
            .await
            .expect("hashed again");
        assert_eq!(hasher.buffers_held(), 1);
    }
}
