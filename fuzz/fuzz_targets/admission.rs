#![no_main]
// The body lives in the library: kubectl_inject::fuzzing::admission_review.
libfuzzer_sys::fuzz_target!(|data: &[u8]| kubectl_inject::fuzzing::admission_review(data));
