//! Tests of `explain`; see main.rs.
