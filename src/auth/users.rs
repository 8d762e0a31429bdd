//! `users.json`: the people who can sign in, the invitations waiting to be used and the API
//! tokens of scripts. Passwords, invitation codes and tokens are stored only as hashes, so
//! the file (and every backup of it) gives nobody a way in. Hand edits are picked up like any
//! other document: deleting a user by hand ends their sessions.

use cocolu_core::api::accounts::Role;
use cocolu_core::document::{Context, HandEdited, Problem};
use cocolu_core::fault::Fault;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The contents of `users.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Users {
    /// Lets editors find this file's JSON Schema.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Format version of this file.
    pub version: u32,
    /// Everyone who can sign in to the dashboard.
    #[serde(default)]
    pub users: Vec<User>,
    /// Invitations to register, each usable once before it expires.
    #[serde(default)]
    pub invitations: Vec<Invitation>,
    /// Tokens that scripts send as `Authorization: Bearer`.
    #[serde(default)]
    pub tokens: Vec<ApiToken>,
}

/// A person who signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Stable id (kept when the username changes).
    pub id: String,
    /// What they type to sign in: lower case letters, digits, `.`, `_`, `-` and `@`.
    pub username: String,
    /// How the dashboard names them.
    #[serde(default)]
    pub name: String,
    pub role: Role,
    /// Argon2id hash in PHC format (`$argon2id$v=19$m=...`).
    pub password_hash: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When the password last changed (ms); sessions from before then are no longer valid.
    pub password_changed_at: i64,
    /// A disabled user cannot sign in and their sessions and tokens stop working.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

/// An invitation to register with a given role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    pub id: String,
    /// SHA-256 of the code (the code itself was shown once, to the admin who made it).
    pub code_hash: String,
    pub role: Role,
    /// Who to give it to, as the admin noted it.
    #[serde(default)]
    pub note: String,
    /// The admin's user id.
    pub created_by: String,
    pub created_at: i64,
    /// After this (ms) the invitation no longer works.
    pub expires_at: i64,
}

/// A named token for a script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    pub id: String,
    /// What the token is for, such as `backup script`.
    pub name: String,
    /// SHA-256 of the token.
    pub token_hash: String,
    /// The role its requests have.
    pub role: Role,
    /// The admin's user id (empty when made with `cocolu token add`).
    #[serde(default)]
    pub created_by: String,
    pub created_at: i64,
}

impl HandEdited for Users {
    const FILE: &'static str = "users.json";
    const VERSION: u32 = 1;

    fn defaults() -> Users {
        Users {
            version: Self::VERSION,
            ..Users::default()
        }
    }

    cocolu_core::stamped_by_fields!();

    fn validate(&self, _context: &Context) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for (i, user) in self.users.iter().enumerate() {
            if !ids.insert(user.id.as_str()) {
                problems.push(Problem::new(
                    format!("/users/{i}/id"),
                    Fault::IdTwice {
                        id: user.id.clone(),
                    },
                ));
            }
            if let Err(fault) = check_username(&user.username) {
                problems.push(Problem::new(format!("/users/{i}/username"), fault));
            } else if !names.insert(user.username.as_str()) {
                problems.push(Problem::new(
                    format!("/users/{i}/username"),
                    Fault::UsernameTwice {
                        username: user.username.clone(),
                    },
                ));
            }
            // Only the kind is checked here: a hash whose parameters are too costly to compute
            // is refused at sign-in (that user cannot sign in, and the log says why), so one
            // odd hash does not keep the whole file, and the server, from starting.
            if !user.password_hash.starts_with("$argon2") {
                problems.push(Problem::new(
                    format!("/users/{i}/password_hash"),
                    Fault::NotAnArgonHash,
                ));
            }
        }
        for (i, invitation) in self.invitations.iter().enumerate() {
            if !ids.insert(invitation.id.as_str()) {
                problems.push(Problem::new(
                    format!("/invitations/{i}/id"),
                    Fault::IdTwice {
                        id: invitation.id.clone(),
                    },
                ));
            }
        }
        for (i, token) in self.tokens.iter().enumerate() {
            if !ids.insert(token.id.as_str()) {
                problems.push(Problem::new(
                    format!("/tokens/{i}/id"),
                    Fault::IdTwice {
                        id: token.id.clone(),
                    },
                ));
            }
        }
        problems
    }
}

/// Usernames are compared in lower case, without surrounding spaces.
pub fn normalize_username(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Whether a (normalized) username is acceptable, or why not.
pub fn check_username(name: &str) -> Result<(), Fault> {
    if name.is_empty() || name.chars().count() > 64 {
        return Err(Fault::UsernameLength { max: 64 });
    }
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+');
    if name.chars().any(|c| c.is_uppercase() || !allowed(c)) {
        return Err(Fault::UsernameCharacters);
    }
    Ok(())
}

/// The shortest and longest passwords accepted.
pub const PASSWORD_CHARS: (usize, usize) = (10, 256);

/// Whether a new password is acceptable, or why not (NIST SP 800-63B: length, not
/// composition rules).
pub fn check_password(password: &str, username: &str) -> Result<(), Fault> {
    let count = password.chars().count();
    if count < PASSWORD_CHARS.0 {
        return Err(Fault::PasswordTooShort {
            min: PASSWORD_CHARS.0,
        });
    }
    if count > PASSWORD_CHARS.1 {
        return Err(Fault::PasswordTooLong {
            max: PASSWORD_CHARS.1,
        });
    }
    if normalize_username(password) == username {
        return Err(Fault::PasswordIsUsername);
    }
    Ok(())
}

impl Users {
    /// The user with this (normalized) username.
    pub fn by_username(&self, username: &str) -> Option<&User> {
        self.users.iter().find(|u| u.username == username)
    }

    /// The user with this id.
    pub fn by_id(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// Active administrators.
    pub fn admin_count(&self) -> usize {
        self.users
            .iter()
            .filter(|u| u.role == Role::Admin && !u.disabled)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, username: &str) -> User {
        User {
            id: id.into(),
            username: username.into(),
            name: String::new(),
            role: Role::Admin,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGg".into(),
            created_at: 0,
            password_changed_at: 0,
            disabled: false,
        }
    }

    #[test]
    fn duplicate_usernames_and_ids_are_located() {
        let users = Users {
            users: vec![user("u1", "ana"), user("u1", "ana")],
            ..Users::defaults()
        };
        let problems = users.validate(&Context::default());
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/users/1/id", "/users/1/username"]);
    }

    #[test]
    fn a_plain_text_password_in_the_file_is_refused() {
        let mut plain = user("u1", "ana");
        plain.password_hash = "secreto123".into();
        let users = Users {
            users: vec![plain],
            ..Users::defaults()
        };
        assert_eq!(
            users.validate(&Context::default())[0].pointer,
            "/users/0/password_hash"
        );
    }

    #[test]
    fn usernames_and_passwords_follow_simple_rules() {
        assert!(check_username("ana.perez@tienda").is_ok());
        assert!(check_username("maría").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username("Ana").is_err());
        assert!(check_username("ana perez").is_err());
        assert_eq!(normalize_username("  Ana "), "ana");
        assert!(check_password("corto", "ana").is_err());
        assert!(check_password("una frase bastante larga", "ana").is_ok());
        assert!(check_password("anaanaanaana", "anaanaanaana").is_err());
    }
}
