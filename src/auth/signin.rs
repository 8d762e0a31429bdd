//! Signing in: the first administrator's set-up with the code from the log, and sign-ins,
//! each attempt admitted by the throttle (failed ones make the next wait longer).

use super::*;

impl Auth {
    pub(super) fn sign_in(&self, user: User, client: &Client) -> Result<SignedIn, AuthError> {
        let (cookie, session) = self.sessions.create(
            &user.id,
            user.password_changed_at,
            self.clock.now_ms(),
            client.ip.clone(),
            client.user_agent.clone(),
        )?;
        Ok(SignedIn {
            cookie,
            session,
            user,
        })
    }

    /// Creates the first administrator with the setup code; of two concurrent requests only
    /// one succeeds (the other is told set-up is done).
    pub async fn setup(
        &self,
        code: &str,
        new: NewUser,
        client: &Client,
    ) -> Result<SignedIn, AuthError> {
        let expected = self.setup_code().ok_or(AuthError::AlreadySetUp)?;
        check_credential_sizes(&new.username, &new.password)?;
        let key = format!("setup:{}", client.ip);
        self.admit(&self.addresses, &key).await?;
        let right = code.len() <= MAX_CODE_BYTES
            && secret::same(
                &secret::normalize_code(code),
                &secret::normalize_code(&expected),
            );
        self.settle(&self.addresses, &key, !right, false);
        if !right {
            self.audit("", "setup_failed", "", client, "wrong setup code");
            return Err(AuthError::WrongSetupCode);
        }
        check_new_user(&new)?;
        let hash = self.hasher.hash(new.password.clone()).await?;
        let user = user_record(&new, Role::Admin, hash, self.clock.now_ms());
        off_runtime(|| {
            let created = user.clone();
            self.edit(move |users| {
                if !users.users.is_empty() {
                    return Err(AuthError::AlreadySetUp);
                }
                insert_user(users, created.clone())
            })?;
            *self.setup_code.lock() = None;
            self.audit(
                &user.username,
                "setup",
                &user.username,
                client,
                "first administrator created",
            );
            self.sign_in(user, client)
        })
    }

    /// Admits an attempt for `key` before it is decided (see [`Throttle::admit`]), waiting
    /// while attempts in flight could still use up the free ones.
    pub(super) async fn admit(
        &self,
        throttle: &Mutex<Throttle>,
        key: &str,
    ) -> Result<(), AuthError> {
        let deadline = tokio::time::Instant::now() + ADMISSION_WAIT;
        loop {
            // Registered before asking, so that a decision in between is not missed.
            let decided = self.decided.notified();
            tokio::pin!(decided);
            decided.as_mut().enable();
            match throttle.lock().admit(key, self.clock.now_ms()) {
                Ok(throttle::Admission::Admitted) => return Ok(()),
                Ok(throttle::Admission::Pending) => {}
                Err(wait) => return Err(AuthError::Throttled(wait)),
            }
            if tokio::time::timeout_at(deadline, decided).await.is_err() {
                return Err(AuthError::Throttled(Duration::from_secs(1)));
            }
        }
    }

    /// Reports an admitted attempt's outcome and wakes the attempts waiting for it.
    pub(super) fn settle(&self, throttle: &Mutex<Throttle>, key: &str, failed: bool, forget: bool) {
        throttle
            .lock()
            .settle(key, failed, forget, self.clock.now_ms());
        self.decided.notify_waiters();
    }

    /// Signs in with a username and password.
    ///
    /// The attempt is counted against the account and the address before the password is
    /// hashed (see [`Throttle::admit`]), so concurrent guesses cannot slip past the
    /// throttle; what a visitor sends is bounded before it reaches a key, a hash or a log.
    pub async fn login(
        &self,
        username: &str,
        password: String,
        client: &Client,
    ) -> Result<SignedIn, AuthError> {
        check_credential_sizes(username, &password)?;
        let username = users::normalize_username(username);
        let account_key = format!("user:{username}");
        self.admit(&self.addresses, &client.ip).await?;
        if let Err(refused) = self.admit(&self.accounts, &account_key).await {
            self.settle(&self.addresses, &client.ip, false, false);
            return Err(refused);
        }
        let user = self.users().by_username(&username).cloned();
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let matched = self.hasher.verify(password, hash).await;
        let signed_in = matches!(&user, Some(user) if matched && !user.disabled);
        self.settle(&self.accounts, &account_key, !signed_in, true);
        self.settle(&self.addresses, &client.ip, !signed_in, false);
        off_runtime(|| match user {
            Some(user) if signed_in => {
                self.logins
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.audit(&user.username, "login", &user.username, client, "");
                self.sign_in(user, client)
            }
            _ => {
                self.login_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.audit("", "login_failed", &username, client, "");
                Err(AuthError::WrongCredentials)
            }
        })
    }
}
