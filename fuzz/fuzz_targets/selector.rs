#![no_main]
// The body lives in the library: kubectl_inject::fuzzing::selector_parse.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubectl_inject::fuzzing::selector_parse(data));
