//! Integration tests: the real binary, through assert_cmd and through real `kubectl`.

// Tests report counts and skips on their own output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod golden;
mod util;

mod badinput;
mod capture;
mod check;
mod cleanup;
mod cluster_connect;
mod cluster_faults;
mod cluster_inject;
mod cluster_injector;
mod cluster_live;
mod cluster_oracle;
mod cluster_requests;
mod cluster_revisions;
mod cluster_smoke;
mod completion;
mod conformance;
mod dist;
mod explain;
mod findings;
mod flags;
mod fuzz;
mod help;
mod inject;
mod input;
mod kubectl;
mod memory;
mod output;
mod suite;
mod template;
mod uninstall;
mod verify_webhook;
mod yaml;
mod yaml_read;
