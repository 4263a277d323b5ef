//! Tests of `kubectl`; see main.rs.
