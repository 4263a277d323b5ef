//! Tests of `template`; see main.rs.
