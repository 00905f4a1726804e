//! `driftwatch serve`: the long-running daemon. Wires the scheduler core to the real ledger
//! and executions, the cron wake-ups, the status endpoint and the signals:
//! SIGTERM/SIGINT stop (grace period, then `Stopped` records, exit 0), SIGHUP reloads.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use super::lease::Leases;
use super::ledger::{Entry, lookup};
use super::reconcile::Policy;
use super::scheduler::{Daemon, Finished, Runner, SystemClock};
use super::state::{ErrorKind, State};
use super::wake::Wakes;
use crate::aws::AwsClients;
use crate::config::{InvalidDocument, Schedule, ScheduleFile};
use crate::execution::{Guard, Ledger, record_stopped, run_execution_reporting};
use crate::load::{ConfigSource, schedule_file};
use crate::sagemaker::ExecutionRecord;

/// The real thing: records in the output stores, executions against S3/local data.
pub struct LiveRunner {
    pub clients: Arc<AwsClients>,
    /// Where the executions' published datums go (`/metrics`' drift gauges).
    pub state: Arc<State>,
}

impl Runner for LiveRunner {
    async fn lookup(&self, schedule: &Schedule, t: DateTime<Utc>) -> Result<Entry, String> {
        lookup(schedule, t, &self.clients)
            .await
            .map_err(|e| e.to_string())
    }

    async fn latest(&self, schedule: &Schedule) -> Result<Option<ExecutionRecord>, String> {
        super::ledger::latest(schedule, &self.clients)
            .await
            .map_err(|e| e.to_string())
    }

    async fn execute(&self, schedule: Arc<Schedule>, t: DateTime<Utc>, attempt: u32) -> Finished {
        let done = run_execution_reporting(
            &schedule,
            t,
            &self.clients,
            attempt,
            Guard::UnlessAlreadyRun,
        )
        .await;
        // What another process ran (or runs) is not this daemon's to mirror.
        if matches!(done.ledger, Ledger::Written | Ledger::NotWritten) {
            self.state.observe_datums(&done.record, done.datums);
        }
        Finished {
            record: done.record,
            ledger: done.ledger,
        }
    }

    async fn stopped(
        &self,
        schedule: Arc<Schedule>,
        t: DateTime<Utc>,
        started: DateTime<Utc>,
        attempt: u32,
        reason: String,
    ) -> Finished {
        let (record, ledger) =
            record_stopped(&schedule, t, started, attempt, &reason, &self.clients).await;
        Finished { record, ledger }
    }
}

#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The schedules file (re-read on SIGHUP).
    pub config: ConfigSource,
    pub listen: SocketAddr,
    pub concurrency: usize,
    pub policy: Policy,
    pub grace: Duration,
    /// The safety-net reconciliation interval (1 min).
    pub reconcile_every: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Config(InvalidDocument),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the cron scheduler: {0}")]
    Cron(String),
    #[error("cannot install the signal handlers: {0}")]
    Signals(std::io::Error),
    /// Another daemon runs these schedules (or the lease cannot be written).
    #[error("{0}")]
    Lease(#[from] crate::store::lock::LockError),
    /// Stopped after another daemon took over a lease this one failed to renew in time.
    #[error("stopped: {0}")]
    LeaseLost(String),
}

/// What changed between two schedule files, for the reload log.
pub fn describe_changes(old: &ScheduleFile, new: &ScheduleFile) -> String {
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for s in &new.schedules {
        match old.schedule(s.name.as_str()) {
            None => added.push(s.name.as_str()),
            Some(o) if o != s => changed.push(s.name.as_str()),
            Some(_) => {}
        }
    }
    let removed: Vec<&str> = old
        .schedules
        .iter()
        .filter(|o| new.schedule(o.name.as_str()).is_none())
        .map(|o| o.name.as_str())
        .collect();
    if added.is_empty() && changed.is_empty() && removed.is_empty() {
        return "no changes".to_string();
    }
    let part =
        |label: &str, v: &[&str]| (!v.is_empty()).then(|| format!("{label}: {}", v.join(", ")));
    [
        part("added", &added),
        part("changed", &changed),
        part("removed", &removed),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("; ")
}

/// Runs the daemon until SIGTERM or SIGINT. Errors only at start-up.
pub async fn serve(options: ServeOptions) -> Result<(), ServeError> {
    use tokio::signal::unix::{SignalKind, signal};

    let clients = Arc::new(AwsClients::new());
    let file = schedule_file(&options.config, &clients)
        .await
        .map_err(ServeError::Config)?;
    let leases = Arc::new(
        Leases::acquire_all(&file, crate::store::lock::Holder::this_process(), &clients).await?,
    );
    let mut term = signal(SignalKind::terminate()).map_err(ServeError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(ServeError::Signals)?;
    let mut hup = signal(SignalKind::hangup()).map_err(ServeError::Signals)?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: options.listen,
            source,
        })?;
    let listen = listener.local_addr().unwrap_or(options.listen);

    let state = State::new(file);
    state.set_waiting_for_lease(leases.waiting().await);
    let daemon = Daemon::new(
        state.clone(),
        LiveRunner {
            clients: clients.clone(),
            state: state.clone(),
        },
        Arc::new(SystemClock),
        options.policy,
        options.concurrency,
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    let mut wakes = Wakes::start(&state.schedules(), wake.clone())
        .await
        .map_err(|e| ServeError::Cron(e.to_string()))?;

    let http = {
        let mut stop = stop_rx.clone();
        let app = super::http::router(state.clone());
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop.changed().await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "status endpoint stopped");
            }
        })
    };
    let (lost_tx, mut lost_rx) = tokio::sync::mpsc::channel::<String>(1);
    let renewer = {
        let (leases, mut stop, clients) = (leases.clone(), stop_rx.clone(), clients.clone());
        let (state, wake) = (state.clone(), wake.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(super::lease::RENEW_EVERY) => {}
                    _ = stop.changed() => break,
                }
                let lost = leases.renew(&clients).await;
                let waited = state.set_waiting_for_lease(leases.waiting().await);
                if let Some(e) = lost.into_iter().next() {
                    tracing::error!(error = %e, "lost a lease to another daemon: stopping");
                    let _ = lost_tx.send(e.to_string()).await;
                    break;
                }
                if waited {
                    // A lease was taken: its schedule's queued executions may start.
                    wake.notify_one();
                }
            }
        })
    };
    let dispatcher = tokio::spawn(daemon.clone().dispatcher(stop_rx.clone()));
    let reconciler = tokio::spawn(daemon.clone().reconciler(
        options.reconcile_every,
        wake.clone(),
        stop_rx.clone(),
    ));
    tracing::info!(
        config = %options.config,
        schedules = state.schedules().schedules.len(),
        listen = %listen,
        concurrency = options.concurrency,
        lookback_seconds = options.policy.lookback.as_secs(),
        cron = ?wakes.expressions,
        "driftwatch serve started"
    );

    let mut lost = None;
    let signal_name = loop {
        tokio::select! {
            _ = term.recv() => break "SIGTERM",
            _ = int.recv() => break "SIGINT",
            Some(why) = lost_rx.recv() => {
                lost = Some(why);
                break "lease lost";
            }
            _ = hup.recv() => {
                let loaded = match schedule_file(&options.config, &clients).await {
                    Ok(new) => match leases.sync(&new, &clients).await {
                        Ok(()) => {
                            state.set_waiting_for_lease(leases.waiting().await);
                            Ok(new)
                        }
                        Err(e) => {
                            state.error(ErrorKind::ConfigReload);
                            tracing::error!(error = %e,
                                "SIGHUP: a schedule of the new configuration is run by another daemon, keeping the running one");
                            continue;
                        }
                    },
                    Err(invalid) => Err(invalid),
                };
                match loaded {
                    Err(invalid) => {
                        state.error(ErrorKind::ConfigReload);
                        tracing::error!(
                            "SIGHUP: the new configuration is invalid, keeping the running one:\n{invalid}"
                        )
                    }
                    Ok(new) => {
                        let changes = describe_changes(&state.schedules(), &new);
                        match Wakes::start(&new, wake.clone()).await {
                            Ok(fresh) => {
                                std::mem::replace(&mut wakes, fresh).stop().await;
                                state.replace_schedules(new);
                                tracing::info!(schedules = state.schedules().schedules.len(),
                                    "SIGHUP: configuration reloaded ({changes})");
                                wake.notify_one();
                            }
                            Err(e) => {
                                state.error(ErrorKind::ConfigReload);
                                tracing::error!(error = %e,
                                    "SIGHUP: cannot schedule the new configuration, keeping the running one")
                            }
                        }
                    }
                }
            }
        }
    };
    let running = daemon.running();
    tracing::info!(
        signal = signal_name,
        running = running.len(),
        grace_seconds = options.grace.as_secs(),
        "shutting down: no new executions; waiting for the running ones"
    );
    let _ = stop_tx.send(true);
    wakes.stop().await;
    let _ = reconciler.await;
    let _ = dispatcher.await;
    daemon.shutdown(options.grace).await;
    let _ = renewer.await;
    let _ = http.await;
    match lost {
        // The lease is no longer this daemon's: nothing to release.
        Some(why) => Err(ServeError::LeaseLost(why)),
        None => {
            leases.release_all().await;
            tracing::info!("driftwatch serve stopped");
            Ok(())
        }
    }
}
