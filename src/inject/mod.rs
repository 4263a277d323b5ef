//! Manifest transformation (pure): kube-inject's pipeline over workloads — template
//! selection, rendering, strategic merge, post-processing, the status record, and strip.
//!
//! Imports no I/O: files are read and written by `app::inject`.

#[allow(dead_code)] // wired into the pipeline in the next steps
pub(crate) mod gotypes;
pub mod merge;
pub mod pipeline;
pub mod pod;
pub mod probe;
pub mod prometheus;
pub mod status;
pub mod validate;
