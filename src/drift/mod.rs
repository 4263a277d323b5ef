//! Drift: running pods against what the injection policy and configuration say now.
//!
//! Pure: no I/O. [`state`] classifies each pod (missing, unexpected, stale revision, stale
//! template) and says what fixes it per workload.

pub mod state;
