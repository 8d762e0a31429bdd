//! Start-up and shutdown: binds the socket, builds the router, serves until SIGTERM or
//! SIGINT, then lets open requests finish and closes WebSockets.

use crate::auth::Auth;
use crate::bot::Bot;
use crate::channel::chosen::Chosen;
use crate::channel::meta::graph::GraphClient;
use crate::channel::meta::MetaLink;
use crate::clock::Clock;
use crate::config::Config;
use crate::data::open_folder;
use crate::events::Events;
use crate::http::state::{AppState, Runtime, Shared};
use crate::http::{self, AccessConfig};
use crate::intake::Intake;
use crate::media;
use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::store::{self, watch, Store, StoreError, StoreOptions};
use leptos::config::LeptosOptions;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How many CPU-heavy requests (rule compilation, simulations) run at once; more wait.
const HEAVY_AT_ONCE: usize = 1;

/// How long open requests may take to finish once shutdown has begun.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Why the server could not start; each reads as one sentence for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use the data folder {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot watch the data folder for hand edits: {0}")]
    Watch(#[from] notify::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// A server that is bound and ready to serve.
pub struct Application {
    listener: TcpListener,
    limits: http::listen::Limits,
    state: AppState,
    watcher: watch::Watcher,
}

impl Application {
    /// Opens the data folder, starts watching it, and binds the socket; the port is known
    /// afterwards.
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let started = Instant::now();
        if !cocolu_core::settings::zones_known() {
            tracing::error!("no time-zone database on this machine (install the tzdata package, or point TZDIR at one): the shop's hours and days are read in UTC until then");
        }
        store::prepare_data_dir(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let events = Events::new();
        let (store, data) = open_folder(
            &config.data_dir,
            &config.templates_dir,
            &StoreOptions {
                repair: config.repair,
            },
            events.clone(),
        )?;
        let (store, data) = (Arc::new(store), Arc::new(data));
        let watcher = watch::watch(data.clone())?;
        let meta = MetaLink::live(config.meta.clone(), data.clone());
        let graph = GraphClient::new(meta.clone(), store.dir().join(store::MEDIA_DIR));
        #[cfg(feature = "whatsapp-web")]
        let web = crate::channel::web::sender::WebChannel::default();
        let chosen = Chosen::new(
            data.clone(),
            graph.clone(),
            #[cfg(feature = "whatsapp-web")]
            web.clone(),
        );
        let clock = Clock::system();
        let outbox = Outbox::start(
            clock.clone(),
            store.clone(),
            data.clone(),
            events.clone(),
            Arc::new(chosen),
            config.send_rate,
        );
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let metrics: Arc<Metrics> = Arc::default();
        let media = media::Downloads::new(
            store.clone(),
            graph.clone(),
            config.media_max_bytes,
            clock.clone(),
        );
        let bot = Bot::start(
            store.clone(),
            data.clone(),
            events.clone(),
            outbox.clone(),
            meta.current().phone_number_id.as_deref(),
            config.stale_after,
            clock.clone(),
        );
        let intake = Arc::new(Intake {
            store: store.clone(),
            events: events.clone(),
            metrics: metrics.clone(),
            bot: bot.clone(),
            media: media.clone(),
            meta: meta.clone(),
            stale_after: config.stale_after,
            clock: clock.clone(),
        });
        let shutdown = CancellationToken::new();
        let state = AppState::new(Shared {
            leptos_options: Arc::new(LeptosOptions::builder().output_name("cocolu").build()),
            runtime: Arc::new(Runtime {
                started,
                ws_heartbeat: config.ws_heartbeat,
                shutdown: shutdown.clone(),
                stale_after: config.stale_after,
                media_max_bytes: config.media_max_bytes,
                heavy: Arc::new(tokio::sync::Semaphore::new(HEAVY_AT_ONCE)),
                uploads: Arc::new(tokio::sync::Semaphore::new(http::UPLOADS_AT_ONCE)),
            }),
            store: store.clone(),
            data: data.clone(),
            events: events.clone(),
            meta: meta.clone(),
            metrics,
            graph: graph.clone(),
            outbox,
            media,
            bot,
            intake: intake.clone(),
            clock: clock.clone(),
            auth: Arc::new(Auth::open(
                data.clone(),
                clock.clone(),
                config.sessions,
                config.hashing_concurrency,
            )),
            access: Arc::new(AccessConfig {
                trusted_proxies: config.trusted_proxies.clone(),
                origins: config.origins.clone(),
                metrics_token: config.metrics_token.clone(),
            }),
            #[cfg(feature = "whatsapp-web")]
            web: crate::channel::web::runner::WebLink::new(
                store.clone(),
                data.clone(),
                events.clone(),
                config.whatsapp_web.clone(),
                web,
                intake,
                shutdown,
            ),
        });
        tokio::spawn(flush_sessions(state.auth.clone()));
        tokio::spawn(http::stats_ticks(state.clone()));
        tokio::spawn(audit_hand_edits(state.clone()));
        #[cfg(feature = "whatsapp-web")]
        tokio::spawn(state.web.clone().follow_settings());
        tokio::spawn(media::sweep_forever(
            store.dir().to_path_buf(),
            config.media_retention,
        ));
        let limits = http::listen::Limits {
            header_timeout: config.header_timeout,
            max_connections: config.max_connections,
        };
        Ok(Application {
            limits,
            listener,
            state,
            watcher,
        })
    }

    /// The data folder's log and index this server works on.
    pub fn store(&self) -> Arc<Store> {
        self.state.store.clone()
    }

    /// The documents in force.
    pub fn data(&self) -> Arc<crate::data::Data> {
        self.state.data.clone()
    }

    /// The state every handler reaches (for what runs beside the server in the same
    /// process, such as the tests' stand-ins).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Accounts and sessions (to make the first API token of a test or an install script).
    pub fn auth(&self) -> Arc<Auth> {
        self.state.auth.clone()
    }

    /// The address really bound (with the port the system chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        // A bound listener always has a local address.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` completes, then drains for at most [`SHUTDOWN_GRACE`].
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let token = self.state.runtime.shutdown.clone();
        let store = self.state.store.clone();
        let auth = self.state.auth.clone();
        // Hand edits are picked up for as long as the server runs.
        let _watcher = self.watcher;
        let router = http::router(self.state);
        {
            let token = token.clone();
            tokio::spawn(async move {
                shutdown.await;
                tracing::info!("shutting down");
                token.cancel();
            });
        }
        http::listen::serve(self.listener, router, self.limits, token, SHUTDOWN_GRACE).await;
        let result = Ok(());
        // The next start reads only what comes after this.
        let _ = tokio::task::spawn_blocking(move || {
            store.checkpoint();
            auth.flush();
        })
        .await;
        result
    }
}

/// Once a minute: removes timed-out sessions and writes last-seen times, when they changed.
async fn flush_sessions(auth: Arc<Auth>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let auth = auth.clone();
        let _ = tokio::task::spawn_blocking(move || auth.flush()).await;
    }
}

/// Records hand edits that took effect in the audit log: the server's own saves cause no
/// reload event, so every `file_reloaded` is a change made outside the dashboard.
async fn audit_hand_edits(state: AppState) {
    let mut events = state.events.subscribe();
    loop {
        let received = events.recv().await;
        match received.as_ref().map(|p| p.event.as_ref()) {
            Ok(cocolu_core::events::ServerEvent::FileReloaded { file }) => {
                let file = file.clone();
                let auth = state.auth.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    auth.audit(
                        "hand edit",
                        "file_reloaded",
                        &file,
                        &crate::auth::Client::default(),
                        "edited outside the dashboard; the new version is in force",
                    )
                })
                .await;
            }
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// `cocolu serve`: runs the server in the foreground until a signal stops it.
pub fn run(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&StartError::Runtime(error)),
    };
    runtime.block_on(async move {
        let app = match Application::build(config).await {
            Ok(app) => app,
            Err(error) => return fail(&error),
        };
        // The one line a person or a script reads to know where the server is.
        println!("listening on http://{}", app.local_addr());
        match app.run_until(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: the server stopped: {error}");
                ExitCode::FAILURE
            }
        }
    })
}

fn fail(error: &StartError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}
