//! Output printed all or nothing without being held whole: [`Spill`] keeps what is written
//! in memory up to a threshold, then moves it to an anonymous temporary file and appends
//! there; [`Spill::finish`] copies it all to stdout once the command has succeeded. Dropped
//! unfinished (an error on the way), it prints nothing, and the temporary file goes with it.
//!
//! The file is made by `tempfile::tempfile()` in `TMPDIR` (else `/tmp`): on Linux an
//! `O_TMPFILE` that never has a name, elsewhere a file unlinked at once, so nothing is left
//! behind even when the process is killed.

use std::io::{Seek, Write};

/// Output held in memory before it moves to a temporary file: far above what a usual
/// manifest renders to (1,000 Deployments inject to 7 MB), so small runs never touch the
/// disk.
pub const SPILL_BYTES: usize = 8 << 20;

/// Output being built, in memory or (past the threshold) in a temporary file.
pub struct Spill {
    threshold: usize,
    memory: Vec<u8>,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl Spill {
    /// Output that moves to a temporary file once it holds more than `threshold` bytes.
    pub fn new(threshold: usize) -> Spill {
        Spill {
            threshold,
            memory: Vec::new(),
            file: None,
        }
    }

    /// Whether the output has moved to a temporary file.
    pub fn spilled(&self) -> bool {
        self.file.is_some()
    }

    /// Appends `text`.
    pub fn write(&mut self, text: &str) -> anyhow::Result<()> {
        if let Some(file) = &mut self.file {
            return file.write_all(text.as_bytes()).map_err(spill_error);
        }
        self.memory.extend_from_slice(text.as_bytes());
        if self.memory.len() > self.threshold {
            let file = tempfile::tempfile().map_err(|e| {
                anyhow::Error::new(e).context(format!(
                    "cannot create a temporary file for the output in {}",
                    std::env::temp_dir().display()
                ))
            })?;
            let mut file = std::io::BufWriter::with_capacity(1 << 16, file);
            file.write_all(&self.memory).map_err(spill_error)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        Ok(())
    }

    /// Writes everything to stdout, in one go when it is in memory.
    pub fn finish(self) -> anyhow::Result<()> {
        match self.file {
            None => match std::str::from_utf8(&self.memory) {
                Ok(text) => super::stdout(text),
                // Only `&str` goes in, so this cannot happen; said rather than panicked.
                Err(e) => Err(anyhow::anyhow!("internal error: output not UTF-8: {e}")),
            },
            Some(file) => {
                let mut file = file.into_inner().map_err(|e| spill_error(e.into_error()))?;
                file.rewind().map_err(spill_error)?;
                super::stdout_copy(&mut file)
            }
        }
    }
}

/// `-o json`'s `v1/List` written item by item, byte for byte what
/// `serde_json::to_string_pretty` prints for the whole list (keys in order: `apiVersion`,
/// `items`, `kind`), and a final newline.
#[derive(Debug, Default)]
pub struct JsonList {
    items: usize,
}

/// The list's items are two levels in: each line of an item's own pretty text moves right
/// by this much (JSON text has no raw newline inside a string, so every line break is
/// structure).
const ITEM_INDENT: &str = "\n    ";

impl JsonList {
    /// Writes the list's head.
    pub fn start(&mut self, out: &mut Spill) -> anyhow::Result<()> {
        out.write("{\n  \"apiVersion\": \"v1\",\n  \"items\": [")
    }

    /// Writes one item.
    pub fn item(&mut self, out: &mut Spill, item: &serde_json::Value) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(item)?;
        out.write(if self.items == 0 { "" } else { "," })?;
        out.write(ITEM_INDENT)?;
        for (n, line) in text.split('\n').enumerate() {
            if n > 0 {
                out.write(ITEM_INDENT)?;
            }
            out.write(line)?;
        }
        self.items += 1;
        Ok(())
    }

    /// Writes the list's tail.
    pub fn end(self, out: &mut Spill) -> anyhow::Result<()> {
        if self.items > 0 {
            out.write("\n  ")?;
        }
        out.write("],\n  \"kind\": \"List\"\n}\n")
    }
}

fn spill_error(e: std::io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context(format!(
        "writing the output to a temporary file in {}",
        std::env::temp_dir().display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(s: Spill) -> String {
        match s.file {
            None => String::from_utf8(s.memory).unwrap(),
            Some(f) => {
                let mut file = f.into_inner().unwrap();
                file.rewind().unwrap();
                let mut text = String::new();
                std::io::Read::read_to_string(&mut file, &mut text).unwrap();
                text
            }
        }
    }

    #[test]
    fn json_list_is_the_pretty_list() {
        let items = [
            serde_json::json!({"kind": "Deployment", "spec": {"a": [1, 2, {}], "b": []}}),
            serde_json::json!("line\nbreak"),
            serde_json::json!({}),
            serde_json::json!([]),
        ];
        for n in 0..=items.len() {
            for threshold in [0, 1 << 20] {
                let mut out = Spill::new(threshold);
                let mut list = JsonList::default();
                list.start(&mut out).unwrap();
                for item in &items[..n] {
                    list.item(&mut out, item).unwrap();
                }
                list.end(&mut out).unwrap();
                let whole = serde_json::json!({
                    "apiVersion": "v1", "kind": "List", "items": items[..n].to_vec()
                });
                let mut want = serde_json::to_string_pretty(&whole).unwrap();
                want.push('\n');
                assert_eq!(contents(out), want, "{n} items");
            }
        }
    }

    #[test]
    fn stays_in_memory_up_to_the_threshold() {
        let mut s = Spill::new(10);
        s.write("0123456789").unwrap();
        assert!(!s.spilled());
        s.write("a").unwrap();
        assert!(s.spilled());
        s.write("bc").unwrap();
        let mut file = s.file.take().unwrap().into_inner().unwrap();
        file.rewind().unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text).unwrap();
        assert_eq!(text, "0123456789abc");
    }
}
