//! Manifest transformation (pure): kube-inject's pipeline over workloads — template
//! selection, rendering, strategic merge, post-processing, the status record, and strip.
//!
//! - [`object`]: documents, kinds and `v1/List` (Istio's `IntoResourceFile`/`IntoObject`);
//! - [`pipeline`]: one pod (Istio's `injectPod`), rendering behind the [`pipeline::Engine`]
//!   trait; [`legacy`]: the Istio ≤ 1.8 `SidecarInjectionSpec` pipeline;
//! - [`status`], [`probe`], [`prometheus`], [`validate`]: the post-processing steps;
//! - `gotypes`: what Go's typed round trip does to an object (zero structs, omitempty).
//!
//! Imports no I/O: files are read and written by `app::inject`.

pub mod admission;
pub mod engine;
pub(crate) mod gotypes;
pub mod jsonpatch;
pub mod legacy;
pub mod merge;
pub mod object;
pub mod pipeline;
pub mod pod;
pub mod probe;
pub mod prometheus;
pub mod smp;
pub mod status;
pub mod uninject;
pub mod validate;

pub use object::{
    DocOutput, DocResult, InjectError, Injector, ManifestsError, ObjectReport, Outcome, Pending,
    Screen, Screened,
};
pub use pipeline::{Engine, Owner, Params, PipelineError, RenderInput, Settings};
