//! An ordered parallel map: `inject` over many documents uses every core, yet its output and
//! its error are those of a sequential run.
//!
//! Pure: threads only, no I/O. Items are claimed in order from one counter, so when item `k`
//! fails every item before it has been (or is being) processed: the lowest-numbered error is
//! the one a sequential loop would have met first. Workers stop claiming after an error.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// `items.iter().map(f).collect()`, on up to `threads` threads (`None`: one per core).
pub fn try_map<T, R, E, F>(items: &[T], threads: Option<usize>, f: F) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
    F: Fn(&T) -> Result<R, E> + Sync,
{
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
        .clamp(1, items.len().max(1));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || {
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            let r = f(item);
            if r.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            done.push((i, r));
        }
        done
    };
    let mut done = if threads == 1 {
        work()
    } else {
        std::thread::scope(|s| {
            let others: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
            let mut done = work();
            for h in others {
                match h.join() {
                    Ok(d) => done.extend(d),
                    // A panic in `f` is a bug: let it surface as it would have without threads.
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            done
        })
    };
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_of_the_input() {
        let items: Vec<u32> = (0..1000).collect();
        for threads in [None, Some(1), Some(3), Some(64)] {
            let out: Result<Vec<u32>, ()> = try_map(&items, threads, |x| Ok(x * 2));
            assert_eq!(
                out,
                Ok(items.iter().map(|x| x * 2).collect()),
                "{threads:?}"
            );
        }
    }

    #[test]
    fn the_error_is_the_first_in_input_order() {
        let items: Vec<u32> = (0..500).collect();
        for threads in [Some(1), Some(2), Some(8)] {
            let out: Result<Vec<u32>, u32> =
                try_map(
                    &items,
                    threads,
                    |&x| if x % 97 == 96 { Err(x) } else { Ok(x) },
                );
            assert_eq!(out, Err(96), "{threads:?}");
        }
    }

    #[test]
    fn no_items_no_threads() {
        let out: Result<Vec<u8>, ()> = try_map(&[] as &[u8], None, |_| unreachable!());
        assert_eq!(out, Ok(vec![]));
    }
}
