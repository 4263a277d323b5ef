#![no_main]
// The body lives in the library: kubectl_inject::fuzzing::yaml_fast_vs_serde.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubectl_inject::fuzzing::yaml_fast_vs_serde(data));
