//! Tests of `inject`; see main.rs.
