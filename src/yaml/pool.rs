//! Per-thread reuse of the strings of finished documents (pure: no I/O).
//!
//! Injection reads a few hundred keys and strings per pod out of the rendered template and
//! frees about as many when the injected document has been written. glibc's per-thread
//! cache keeps only 7 free chunks of a size, so in that bulk pattern most of those
//! allocations and frees take its slow paths. [`recycle`] keeps a finished value's strings
//! for [`string`] to refill instead.

use std::cell::RefCell;

use serde_json::Value;

/// Off under `--features mimalloc`, whose allocator has no such slow path (PERFORMANCE.md):
/// [`string`] allocates and [`recycle`] drops, as if there were no pool.
const POOLING: bool = !cfg!(feature = "mimalloc");

/// Bucket `k` holds strings whose capacity is in `[2^k, 2^(k+1))`: up to 127 bytes.
const BUCKETS: usize = 7;
/// Enough strings for a few injected pods; past it they are freed as usual.
const PER_BUCKET: usize = 4096;

thread_local! {
    static POOL: RefCell<[Vec<String>; BUCKETS]> = const { RefCell::new([const { Vec::new() }; BUCKETS]) };
    /// Text buffers (a rendered template), kept apart: a request for one of at least 1 KiB
    /// makes glibc consolidate its fast bins, which the bulk frees keep full.
    static BUFFERS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Buffers kept per thread: `inject` renders a batch of pods (up to 16) before reading them.
const MAX_BUFFERS: usize = 64;
const MAX_BUFFER: usize = 256 << 10;

/// An empty text buffer of at least `capacity` bytes.
pub fn buffer(capacity: usize) -> String {
    let mut buf = BUFFERS.with(|b| b.borrow_mut().pop()).unwrap_or_default();
    buf.reserve(capacity);
    buf
}

/// Gives a buffer from [`buffer`] back, for the next one.
pub fn give_back(mut buf: String) {
    // An unusually large one is not worth holding on to.
    if !POOLING || buf.capacity() > MAX_BUFFER {
        return;
    }
    buf.clear();
    BUFFERS.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() < MAX_BUFFERS {
            b.push(buf);
        }
    });
}

/// `s` as an owned string, in a recycled buffer when one large enough is at hand.
pub fn string(s: &str) -> String {
    // The smallest bucket whose every string can hold `s`.
    let k = s.len().next_power_of_two().trailing_zeros() as usize;
    if !POOLING || s.is_empty() || k >= BUCKETS {
        return s.to_owned();
    }
    let reused = POOL.with(|p| p.borrow_mut().get_mut(k).and_then(Vec::pop));
    match reused {
        Some(mut buf) => {
            buf.clear();
            buf.push_str(s);
            buf
        }
        None => s.to_owned(),
    }
}

/// Drops `v`, keeping its keys and strings for [`string`].
pub fn recycle(v: Value) {
    if !POOLING {
        return;
    }
    POOL.with(|p| keep(&mut p.borrow_mut(), v));
}

fn keep(pool: &mut [Vec<String>; BUCKETS], v: Value) {
    match v {
        Value::String(s) => put(pool, s),
        Value::Array(items) => items.into_iter().for_each(|i| keep(pool, i)),
        Value::Object(map) => {
            for (k, v) in map {
                put(pool, k);
                keep(pool, v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn put(pool: &mut [Vec<String>; BUCKETS], s: String) {
    let cap = s.capacity();
    if cap == 0 {
        return;
    }
    let k = (usize::BITS - 1 - cap.leading_zeros()) as usize;
    if let Some(bucket) = pool.get_mut(k)
        && bucket.len() < PER_BUCKET
    {
        bucket.push(s);
    }
}

#[cfg(all(test, not(feature = "mimalloc")))] // the pool is off under mimalloc
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recycled_strings_refill_requests_they_can_hold() {
        // Each test runs on its own thread, so the pool starts empty.
        assert_eq!(string("xyz").capacity(), 3, "nothing recycled yet");
        recycle(json!({"abcd": ["efgh", 1, null, {"ijkl": true}]}));
        for _ in 0..3 {
            let s = string("xyz");
            assert_eq!(s, "xyz");
            assert_eq!(s.capacity(), 4, "a recycled 4-byte buffer");
        }
        assert_eq!(string("xyz").capacity(), 3, "the three were all");
        // A 4-byte buffer cannot hold 5 bytes: that comes from the 8..16 bucket, empty.
        recycle(json!("abcd"));
        assert_eq!(string("vwxyz").capacity(), 5);
        assert_eq!(string("xyz").capacity(), 4);
    }

    #[test]
    fn empty_and_long_strings_are_not_pooled() {
        recycle(json!({"": "a".repeat(200)}));
        assert_eq!(string("").capacity(), 0);
        let long = "b".repeat(100);
        assert_eq!(string(&long).capacity(), 100, "no 128+ buffers are kept");
        assert!(POOL.with(|p| p.borrow().iter().all(Vec::is_empty)));
    }

    #[test]
    fn the_pool_is_bounded() {
        recycle(serde_json::Value::Array(
            (0..PER_BUCKET + 10)
                .map(|i| json!(format!("{i:08}")))
                .collect(),
        ));
        assert_eq!(POOL.with(|p| p.borrow()[3].len()), PER_BUCKET);
    }

    #[test]
    fn buffers_come_back_empty_and_large_ones_are_dropped() {
        let mut b = buffer(100);
        assert!(b.capacity() >= 100);
        b.push_str("text");
        let cap = b.capacity();
        give_back(b);
        let b = buffer(10);
        assert_eq!((b.len(), b.capacity()), (0, cap));
        give_back(String::with_capacity(MAX_BUFFER + 1));
        assert_eq!(BUFFERS.with(|b| b.borrow().len()), 0);
    }
}
