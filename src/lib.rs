//! kubectl-inject: the Istio sidecar-injector decision and rendering, as a library.
//!
//! The shape is gather → decide → render → report. Only `app` (the glue per subcommand),
//! `cluster` (the only user of kube::Client and tokio) and `report` (terminal output) touch
//! the world. The pure modules — `model`, `facts`, `findings`, `policy`, `drift`, `plan`, `health`, `template`,
//! `inject`, `config`, `manifest`, `yaml`, `go` (Go standard-library behaviours), `completion` (what a partly typed command line
//! completes to), and `par` (an ordered parallel map) — import neither
//! `app`, `cluster`, `report`, `std::fs`, tokio nor a kube client, so they can be tested
//! and benchmarked without a process or a cluster.

// `--features mimalloc` (PERFORMANCE.md): the allocator the bench compares with the system's.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod cli;
pub mod cluster;
pub mod completion;
pub mod config;
pub mod drift;
pub mod facts;
pub mod findings;
pub mod fuzzing;
pub mod go;
pub mod health;
pub mod inject;
pub mod manifest;
pub mod model;
pub mod par;
pub mod plan;
pub mod policy;
pub mod report;
pub mod template;
pub mod yaml;
