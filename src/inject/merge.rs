//! The strategic merge of a rendered partial Pod onto a pod: a seam over
//! [`super::smp::merge_pod`] (Istio's `StrategicMergePatch` with the corev1.Pod schema), so
//! the pipeline names one function and one error type.

use serde_json::Value;

use super::smp::SmpError;

/// Merges `patch` onto `original` with Pod strategic-merge semantics (by value: the
/// pipeline's pods are large and each is merged into once).
pub fn merge_pod(original: Value, patch: Value) -> Result<Value, SmpError> {
    super::smp::merge_pod(original, patch)
}
