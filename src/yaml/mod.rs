//! YAML emission byte-compatible with Go's `sigs.k8s.io/yaml` (go-yaml v2) (pure).
