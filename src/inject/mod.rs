//! Manifest transformation (pure): kube-inject's pipeline over workloads — template
//! selection, rendering, strategic merge, post-processing, the status record, and strip.
pub mod smp;
