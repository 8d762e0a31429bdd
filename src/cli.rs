//! The command line: `cocolu` (serve), `check`, `schema`, `backup`, `repair`, their flags and
//! the environment variables that stand in for them.

use crate::auth::sessions::Timeouts;
use crate::channel::meta::MetaConfig;
use crate::config::Config;
use crate::http::IpRange;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Cocolu: a WhatsApp Business auto-reply bot with its own web dashboard.
#[derive(Debug, Parser)]
#[command(
    name = "cocolu",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no command, `cocolu` serves, taking the same options as `cocolu serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// What `cocolu` can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: the dashboard, the API and the WhatsApp webhook (the default).
    Serve(Box<ServeArgs>),
    /// Check the data and templates folders offline and list every problem (exit 1 if any).
    Check(Folders),
    /// Write the JSON Schemas of the hand-editable files.
    Schema {
        /// Folder to write them to (default: the data folder's `schema/`).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        folders: Folders,
    },
    /// Copy the data folder consistently to a new folder, also while the server runs.
    Backup {
        /// The new folder to create.
        dest: PathBuf,
        #[command(flatten)]
        folders: Folders,
    },
    /// Move corrupt log records aside (into `log/corrupt/`) so the server can start. Stop the
    /// server first.
    Repair(Folders),
    /// Show what the bot would answer to a message (nothing is sent), with the rules and
    /// settings on disk; safe while the server runs.
    Simulate {
        /// What the customer writes.
        text: Option<String>,
        /// A conversation (the customer's id) whose remembered state to use.
        #[arg(long)]
        from: Option<String>,
        /// The id of a tapped button or list row.
        #[arg(long)]
        button: Option<String>,
        /// The message type, for example `audio` for a voice note.
        #[arg(long = "type")]
        kind: Option<String>,
        /// Simulate the contact's very first message.
        #[arg(long)]
        first: bool,
        #[command(flatten)]
        folders: Folders,
    },
    /// Manage accounts from the command line, also while the server runs (recovery when
    /// nobody can sign in).
    User {
        #[command(subcommand)]
        action: UserAction,
        #[command(flatten)]
        folders: Folders,
    },
    /// Install or upgrade on this machine (run with sudo): the binary in /usr/local/bin, the
    /// systemd unit, /etc/cocolu/cocolu.env (kept if present), the `cocolu` user and
    /// /var/lib/cocolu (kept). Prints the next steps.
    Install {
        /// Install under this folder instead of `/` (for packaging and tests).
        #[arg(long, default_value = "/")]
        root: PathBuf,
    },
    /// A customer's data: export it (also while the server runs), or erase it (stop the
    /// server first, or erase through the API: `POST /api/contacts/{id}/erase`).
    Contact {
        #[command(subcommand)]
        action: ContactAction,
        #[command(flatten)]
        folders: Folders,
    },
    /// Make an API token for a script; it is printed once.
    Token {
        /// What the token is for, such as `backup script`.
        name: String,
        /// The role its requests have.
        #[arg(long, value_enum, default_value = "agent")]
        role: RoleArg,
        #[command(flatten)]
        folders: Folders,
    },
}

/// What `cocolu user` does.
#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user. Without --password-stdin a strong password is made and printed.
    Add {
        username: String,
        /// The role.
        #[arg(long, value_enum, default_value = "admin")]
        role: RoleArg,
        /// How the dashboard names the person.
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password; the user's sessions end. Without --password-stdin a strong
    /// password is made and printed.
    ResetPassword {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users.
    List,
}

/// What `cocolu contact` does.
#[derive(Debug, Subcommand)]
pub enum ContactAction {
    /// Print everything held about a customer as JSON: their conversation's records and the
    /// media they sent (base64).
    Export {
        /// The conversation: the customer's id (business-scoped id or phone number).
        id: String,
    },
    /// Erase a customer: every record of their conversation blanked in the log, their media
    /// deleted. Cannot be undone; an audit entry keeps only a hash of who.
    Erase {
        /// The conversation: the customer's id (business-scoped id or phone number).
        id: String,
    },
}

/// A role on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    Agent,
}

impl From<RoleArg> for cocolu_core::api::accounts::Role {
    fn from(role: RoleArg) -> cocolu_core::api::accounts::Role {
        match role {
            RoleArg::Admin => cocolu_core::api::accounts::Role::Admin,
            RoleArg::Agent => cocolu_core::api::accounts::Role::Agent,
        }
    }
}

/// The folders a command works on.
#[derive(Debug, Clone, Args)]
pub struct Folders {
    /// Folder for settings, rules, contacts and the message log; created on first run.
    #[arg(
        long,
        alias = "data",
        env = "COCOLU_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,
    /// Folder of reply templates that override the built-in ones.
    #[arg(
        long,
        alias = "templates",
        env = "COCOLU_TEMPLATES_DIR",
        default_value = "./templates"
    )]
    pub templates_dir: PathBuf,
}

/// Options of `cocolu serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; port 0 picks a free port.
    #[arg(long, env = "COCOLU_ADDR", default_value = "127.0.0.1:3000", value_parser = parse_addr)]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub folders: Folders,
    /// Seconds between heartbeat events on the dashboard's WebSocket.
    #[arg(long, env = "COCOLU_WS_HEARTBEAT_SECS", default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub ws_heartbeat_secs: u64,
    /// Move corrupt log records aside instead of refusing to start.
    #[arg(long)]
    pub repair: bool,
    /// Messages older than this many seconds when they arrive (after an outage) are stored
    /// but get no automatic reply.
    #[arg(long, env = "COCOLU_STALE_AFTER_SECS", default_value_t = 600)]
    pub stale_after_secs: u64,
    /// Messages sent per second at most (Meta allows 80 by default).
    #[arg(long, env = "COCOLU_SEND_RATE", default_value_t = 80, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub send_rate: u32,
    /// Connections open at once at most (default: the open-file limit less room for the
    /// server's own files). At the cap a new connection replaces the longest-idle one.
    #[arg(long, env = "COCOLU_MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(4..=1_000_000))]
    pub max_connections: Option<u64>,
    /// Seconds a client has to send a request's headers; also how long a kept-alive
    /// connection may wait for its next request.
    #[arg(long, env = "COCOLU_HEADER_TIMEOUT_SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout_secs: u64,
    /// Largest inbound media file downloaded, in megabytes.
    #[arg(long, env = "COCOLU_MEDIA_MAX_MB", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub media_max_mb: u64,
    /// Days downloaded media files are kept.
    #[arg(long, env = "COCOLU_MEDIA_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub media_retention_days: u64,
    /// Reverse proxies (addresses or ranges, comma-separated) whose `X-Forwarded-For` and
    /// `X-Forwarded-Proto` headers are believed, such as `127.0.0.1` for nginx on the same
    /// machine. Nobody else's are.
    #[arg(long, env = "COCOLU_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_range)]
    pub trusted_proxies: Vec<IpRange>,
    /// Origins the dashboard is served from (comma-separated), such as
    /// `https://bot.example.com`; requests from other sites are refused. Default: the
    /// request's own host.
    #[arg(long, env = "COCOLU_ORIGINS", value_delimiter = ',')]
    pub origins: Vec<String>,
    /// A token for Prometheus: `GET /metrics` with `Authorization: Bearer TOKEN` (admin API
    /// tokens work too).
    #[arg(long, env = "COCOLU_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Hours a signed-in session lasts without being used.
    #[arg(long, env = "COCOLU_SESSION_IDLE_HOURS", default_value_t = 7 * 24, value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub session_idle_hours: u64,
    /// Days a session lasts at most, used or not.
    #[arg(long, env = "COCOLU_SESSION_MAX_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=365))]
    pub session_max_days: u64,
    #[command(flatten)]
    pub meta: MetaArgs,
    /// WhatsApp Web's WebSocket address (the channel chosen in Settings).
    #[cfg(feature = "whatsapp-web")]
    #[arg(
        long,
        env = "COCOLU_WHATSAPP_WEB_URL",
        default_value = "wss://web.whatsapp.com/ws/chat"
    )]
    pub whatsapp_web_url: String,
    /// The WhatsApp Web version to announce, such as `2.3000.1023456789`; by default the
    /// current one is asked of WhatsApp once a day.
    #[cfg(feature = "whatsapp-web")]
    #[arg(long, env = "COCOLU_WHATSAPP_WEB_VERSION", value_parser = parse_version)]
    pub whatsapp_web_version: Option<(u32, u32, u32)>,
}

/// A version such as `2.3000.1023456789`.
#[cfg(feature = "whatsapp-web")]
fn parse_version(text: &str) -> Result<(u32, u32, u32), String> {
    let parts: Vec<u32> = text
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| format!("'{text}' is not a version such as 2.3000.1023456789"))?;
    match parts[..] {
        [major, minor, build] => Ok((major, minor, build)),
        _ => Err(format!(
            "'{text}' is not a version such as 2.3000.1023456789"
        )),
    }
}

/// The Meta WhatsApp Cloud API connection. Prefer the environment (an `EnvironmentFile=` under
/// systemd) to flags for the secrets: flags show in the process list.
#[derive(Debug, Clone, Args)]
pub struct MetaArgs {
    /// Permanent access token of a system user, for the Graph API.
    #[arg(long, env = "META_ACCESS_TOKEN", hide_env_values = true)]
    pub meta_access_token: Option<String>,
    /// The WhatsApp business phone number's id.
    #[arg(long, env = "META_PHONE_NUMBER_ID")]
    pub meta_phone_number_id: Option<String>,
    /// The WhatsApp Business Account id (for listing approved templates).
    #[arg(long, env = "META_WABA_ID")]
    pub meta_waba_id: Option<String>,
    /// The app secret; webhooks are accepted only when signed with it.
    #[arg(long, env = "META_APP_SECRET", hide_env_values = true)]
    pub meta_app_secret: Option<String>,
    /// The token Meta sends when verifying the webhook URL.
    #[arg(long, env = "META_VERIFY_TOKEN", hide_env_values = true)]
    pub meta_verify_token: Option<String>,
    /// Base URL of the Graph API.
    #[arg(
        long,
        env = "META_GRAPH_URL",
        default_value = "https://graph.facebook.com"
    )]
    pub meta_graph_url: String,
    /// Graph API version.
    #[arg(long, env = "META_GRAPH_VERSION", default_value = "v26.0")]
    pub meta_graph_version: String,
}

impl MetaArgs {
    fn into_config(self) -> MetaConfig {
        let set = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        MetaConfig {
            access_token: set(self.meta_access_token),
            phone_number_id: set(self.meta_phone_number_id),
            waba_id: set(self.meta_waba_id),
            app_secret: set(self.meta_app_secret),
            verify_token: set(self.meta_verify_token),
            graph_url: self.meta_graph_url.trim_end_matches('/').to_string(),
            graph_version: self.meta_graph_version,
        }
    }
}

impl ServeArgs {
    /// The server configuration these options describe.
    pub fn into_config(self) -> Config {
        Config {
            addr: self.addr,
            data_dir: self.folders.data_dir,
            templates_dir: self.folders.templates_dir,
            ws_heartbeat: Duration::from_secs(self.ws_heartbeat_secs),
            repair: self.repair,
            stale_after: Duration::from_secs(self.stale_after_secs),
            meta: self.meta.into_config(),
            #[cfg(feature = "whatsapp-web")]
            whatsapp_web: crate::channel::web::runner::WebConfig {
                url: self.whatsapp_web_url,
                version: self.whatsapp_web_version,
            },
            send_rate: self.send_rate,
            media_max_bytes: self.media_max_mb * 1024 * 1024,
            media_retention: Duration::from_secs(self.media_retention_days * 24 * 3600),
            trusted_proxies: self.trusted_proxies,
            origins: self
                .origins
                .into_iter()
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            sessions: Timeouts {
                idle: Duration::from_secs(self.session_idle_hours * 3600),
                absolute: Duration::from_secs(self.session_max_days * 24 * 3600),
            },
            metrics_token: self.metrics_token.filter(|t| !t.trim().is_empty()),
            hashing_concurrency: 2,
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            max_connections: self.max_connections.and_then(|n| usize::try_from(n).ok()),
        }
    }
}

fn parse_range(value: &str) -> Result<IpRange, String> {
    value.parse()
}

fn parse_addr(value: &str) -> Result<SocketAddr, String> {
    value.trim().parse().map_err(|_| {
        format!(
            "'{value}' is not an address to listen on; write IP:PORT, for example 127.0.0.1:3000"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_command_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["cocolu"]).expect("parses");
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.addr, "127.0.0.1:3000".parse().expect("addr"));
        assert_eq!(cli.serve.folders.data_dir, PathBuf::from("./data"));
        assert!(!cli.serve.repair);
    }

    #[test]
    fn an_unparseable_address_is_refused_with_an_example() {
        let err = Cli::try_parse_from(["cocolu", "--addr", "localhost"]).expect_err("refused");
        assert!(
            err.to_string().contains("for example 127.0.0.1:3000"),
            "{err}"
        );
    }

    #[test]
    fn serve_takes_the_same_options() {
        let cli = Cli::try_parse_from(["cocolu", "serve", "--addr", "0.0.0.0:8080", "--repair"])
            .expect("parses");
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve expected")
        };
        assert_eq!(args.addr.port(), 8080);
        assert!(args.repair);
    }

    #[test]
    fn check_accepts_short_folder_names() {
        let cli = Cli::try_parse_from(["cocolu", "check", "--data", "/d", "--templates", "/t"])
            .expect("parses");
        let Some(Command::Check(folders)) = cli.command else {
            panic!("check expected")
        };
        assert_eq!(folders.data_dir, PathBuf::from("/d"));
        assert_eq!(folders.templates_dir, PathBuf::from("/t"));
    }
}
