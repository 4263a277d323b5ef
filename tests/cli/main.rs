//! Integration tests: the real binary, through assert_cmd and through real `kubectl`.

mod util;

mod check;
mod cluster_smoke;
mod conformance;
mod explain;
mod inject;
mod kubectl;
mod template;
