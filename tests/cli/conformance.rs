//! Tests of `conformance`; see main.rs.
