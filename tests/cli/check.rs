//! Tests of `check`; see main.rs.
