//! Hash tables for the executor's hot lookups (kubectl-inject patch): a
//! `BTreeMap<String, _>` lookup compares strings at every node it passes; these hash the
//! name once and compare one string.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::value::ValueFunc;

/// FxHash's multiplier.
const K: u64 = 0x517c_c1b7_2722_0a95;

/// An FxHash-style hash of `s`, 8 bytes at a time (names are short).
fn name_hash(s: &str) -> u64 {
    let mut h = s.len() as u64;
    let mut chunks = s.as_bytes().chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // Byte by byte: a copy of a variable length would be a call to memcpy.
        let w = rest
            .iter()
            .rev()
            .fold(0u64, |w, &b| (w << 8) | u64::from(b));
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    h
}

/// Open addressing with linear probing, at most half full; the slot is the hash's top
/// bits. Built once with all its entries.
struct Table<T> {
    slots: Vec<Option<(u64, T)>>,
    shift: u32,
}

impl<T> Table<T> {
    fn new(entries: impl ExactSizeIterator<Item = (u64, T)>) -> Self {
        let cap = (entries.len() * 2).next_power_of_two().max(16);
        let mut table = Table {
            slots: (0..cap).map(|_| None).collect(),
            shift: 64 - cap.trailing_zeros(),
        };
        let mask = cap - 1;
        for (h, t) in entries {
            let mut i = (h >> table.shift) as usize;
            while table.slots[i].is_some() {
                i = (i + 1) & mask;
            }
            table.slots[i] = Some((h, t));
        }
        table
    }

    fn get(&self, h: u64, eq: impl Fn(&T) -> bool) -> Option<&T> {
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            match &self.slots[i] {
                None => return None,
                Some((sh, t)) if *sh == h && eq(t) => return Some(t),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }
}

/// The function map, indexed for lookup by name on every call.
pub(crate) struct FuncIndex(Table<(String, ValueFunc)>);

impl FuncIndex {
    pub(crate) fn new(funcs: &BTreeMap<String, ValueFunc>) -> Self {
        FuncIndex(Table::new(funcs.iter().map(|(name, f)| {
            (name_hash(name), (name.clone(), Arc::clone(f)))
        })))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&ValueFunc> {
        self.0
            .get(name_hash(name), |(n, _)| n == name)
            .map(|(_, f)| f)
    }
}
