//! Managing accounts: invitations (made and revoked by administrators, redeemed at
//! registration), users (role, disabled, deleted) and API tokens.

use super::*;

impl Auth {
    /// Makes an invitation; returns the code to give to the person (shown once).
    pub fn invite(
        &self,
        by: &Principal,
        role: Role,
        note: &str,
        valid_for: Duration,
        client: &Client,
    ) -> Result<(String, Invitation), AuthError> {
        let code = secret::new_token("inv_");
        let now = self.clock.now_ms();
        let invitation = Invitation {
            id: new_id("i_"),
            code_hash: secret::digest(&code),
            role,
            note: note.trim().chars().take(200).collect(),
            created_by: by.id.clone(),
            created_at: now,
            expires_at: now + valid_for.as_millis() as i64,
        };
        let stored = invitation.clone();
        self.edit(move |users| {
            // Expired invitations are cleared whenever a new one is made.
            users.invitations.retain(|i| i.expires_at > now);
            users.invitations.push(stored.clone());
            Ok(())
        })?;
        self.audit(
            &by.name,
            "invitation_created",
            &invitation.id,
            client,
            role.as_str(),
        );
        Ok((code, invitation))
    }

    /// Deletes an invitation.
    pub fn revoke_invitation(
        &self,
        by: &Principal,
        id: &str,
        client: &Client,
    ) -> Result<(), AuthError> {
        self.edit(|users| {
            let before = users.invitations.len();
            users.invitations.retain(|i| i.id != id);
            if users.invitations.len() == before {
                return Err(AuthError::NotFound(format!("There is no invitation {id}.")));
            }
            Ok(())
        })?;
        self.audit(&by.name, "invitation_revoked", id, client, "");
        Ok(())
    }

    /// Registers a new user with an invitation code (used up by it).
    pub async fn register(
        &self,
        code: &str,
        new: NewUser,
        client: &Client,
    ) -> Result<SignedIn, AuthError> {
        check_credential_sizes(&new.username, &new.password)?;
        let key = format!("invite:{}", client.ip);
        self.admit(&self.addresses, &key).await?;
        let code = if code.len() > MAX_CODE_BYTES {
            ""
        } else {
            code
        };
        let hash = secret::digest(code.trim());
        let valid = |users: &Users| {
            users
                .invitations
                .iter()
                .find(|i| secret::same(&i.code_hash, &hash) && i.expires_at > self.clock.now_ms())
                .cloned()
        };
        let known = valid(&self.users()).is_some();
        self.settle(&self.addresses, &key, !known, false);
        if !known {
            self.audit(
                "",
                "register_failed",
                "",
                client,
                "unknown or expired invitation",
            );
            return Err(AuthError::BadInvitation);
        }
        check_new_user(&new)?;
        let password_hash = self.hasher.hash(new.password.clone()).await?;
        off_runtime(|| {
            let mut created = None;
            self.edit(|users| {
                // Checked again under the lock: two people cannot use one invitation.
                let invitation = valid(users).ok_or(AuthError::BadInvitation)?;
                let user = user_record(
                    &new,
                    invitation.role,
                    password_hash.clone(),
                    self.clock.now_ms(),
                );
                insert_user(users, user.clone())?;
                users.invitations.retain(|i| i.id != invitation.id);
                created = Some(user);
                Ok(())
            })?;
            let user = created.ok_or(AuthError::BadInvitation)?;
            self.audit(
                &user.username,
                "registered",
                &user.username,
                client,
                user.role.as_str(),
            );
            self.sign_in(user, client)
        })
    }

    /// Changes a user's name, role or disabled flag; the last active admin stays an admin.
    pub fn update_user(
        &self,
        by: &Principal,
        id: &str,
        change: &UserChange,
        client: &Client,
    ) -> Result<User, AuthError> {
        let updated = self.edit(|users| {
            let index = users
                .users
                .iter()
                .position(|u| u.id == id)
                .ok_or_else(|| AuthError::NotFound(format!("There is no user {id}.")))?;
            let mut user = users.users[index].clone();
            if let Some(name) = &change.name {
                user.name = name.trim().chars().take(100).collect();
            }
            if let Some(role) = change.role {
                user.role = role;
            }
            if let Some(disabled) = change.disabled {
                user.disabled = disabled;
            }
            users.users[index] = user.clone();
            if users.admin_count() == 0 {
                return Err(AuthError::invalid(Fault::LastAdmin));
            }
            Ok(user)
        })?;
        let detail = format!(
            "role {}, {}",
            updated.role.as_str(),
            if updated.disabled {
                "disabled"
            } else {
                "active"
            }
        );
        self.audit(&by.name, "user_updated", &updated.username, client, &detail);
        Ok(updated)
    }

    /// Deletes a user; their sessions end. The last active admin cannot be deleted.
    pub fn delete_user(&self, by: &Principal, id: &str, client: &Client) -> Result<(), AuthError> {
        let removed = self.edit(|users| {
            let index = users
                .users
                .iter()
                .position(|u| u.id == id)
                .ok_or_else(|| AuthError::NotFound(format!("There is no user {id}.")))?;
            let removed = users.users.remove(index);
            if users.admin_count() == 0 {
                return Err(AuthError::invalid(Fault::LastAdmin));
            }
            Ok(removed)
        })?;
        self.sessions.end_where(|s| s.user_id == removed.id)?;
        self.audit(&by.name, "user_deleted", &removed.username, client, "");
        Ok(())
    }

    /// Makes an API token; returns it (shown once) and its record.
    pub fn create_token(
        &self,
        by: &Principal,
        name: &str,
        role: Role,
        client: &Client,
    ) -> Result<(String, ApiToken), AuthError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AuthError::invalid(Fault::TokenName { max: 100 }));
        }
        // A token belongs to a person: one made with a token belongs to that token's owner,
        // so that disabling the person stops both.
        let owner = match by.via {
            Via::Session { .. } => by.id.clone(),
            // A token deleted since this request was authenticated makes nothing more.
            Via::Token => self
                .users()
                .tokens
                .iter()
                .find(|t| t.id == by.id)
                .map(|t| t.created_by.clone())
                .ok_or_else(|| AuthError::Forbidden("This token no longer exists.".into()))?,
        };
        if role > by.role {
            return Err(AuthError::Forbidden(
                "A token cannot have more rights than the person who makes it.".into(),
            ));
        }
        let (token, record) = new_token_record(name, role, &owner);
        let stored = record.clone();
        self.edit(move |users| {
            users.tokens.push(stored.clone());
            Ok(())
        })?;
        self.audit(&by.name, "token_created", name, client, role.as_str());
        Ok((token, record))
    }

    /// Deletes an API token; scripts using it are refused from then on.
    pub fn delete_token(&self, by: &Principal, id: &str, client: &Client) -> Result<(), AuthError> {
        let removed = self.edit(|users| {
            let index = users
                .tokens
                .iter()
                .position(|t| t.id == id)
                .ok_or_else(|| AuthError::NotFound(format!("There is no token {id}.")))?;
            Ok(users.tokens.remove(index))
        })?;
        self.audit(&by.name, "token_deleted", &removed.name, client, "");
        Ok(())
    }
}
