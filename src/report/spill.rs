//! Output printed all or nothing without being held whole: [`Spill`] keeps what is written
//! in memory up to a threshold, then moves it to an anonymous temporary file and appends
//! there; [`Spill::finish`] copies it all to stdout once the command has succeeded. Dropped
//! unfinished (an error on the way), it prints nothing, and the temporary file goes with it.
//!
//! The file is made by `tempfile::tempfile()` in `TMPDIR` (else `/tmp`): on Linux an
//! `O_TMPFILE` that never has a name, elsewhere a file unlinked at once, so nothing is left
//! behind even when the process is killed.

use std::io::{BufRead, Seek, Write};
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

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

    /// Every line written so far (without its `\n`), from the first; writing may go on
    /// afterwards.
    pub fn lines(&mut self) -> anyhow::Result<Lines<'_>> {
        let reader: Box<dyn BufRead + '_> = match &mut self.file {
            None => Box::new(self.memory.as_slice()),
            Some(file) => {
                file.flush().map_err(spill_error)?;
                let file = file.get_mut();
                file.rewind().map_err(spill_error)?;
                Box::new(std::io::BufReader::with_capacity(1 << 16, &*file))
            }
        };
        Ok(Lines {
            reader,
            line: String::new(),
        })
    }

    /// What was written: the text when it is in memory, else the temporary file (flushed,
    /// its text read from the start).
    pub fn into_parts(self) -> anyhow::Result<(String, Option<std::fs::File>)> {
        match self.file {
            None => String::from_utf8(self.memory)
                .map(|t| (t, None))
                // Only `&str` goes in, so this cannot happen; said rather than panicked.
                .map_err(|e| anyhow::anyhow!("internal error: text not UTF-8: {e}")),
            Some(file) => {
                let mut file = file.into_inner().map_err(|e| spill_error(e.into_error()))?;
                file.rewind().map_err(spill_error)?;
                Ok((String::new(), Some(file)))
            }
        }
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

/// A command's stdout once made: text, or a [`Spill`] copied out.
pub enum Output {
    Text(String),
    Spilled(Spill),
}

impl Output {
    /// Prints it.
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Output::Text(t) => super::stdout(&t),
            Output::Spilled(s) => s.finish(),
        }
    }
}

/// The lines of a [`Spill`], in order.
pub struct Lines<'a> {
    reader: Box<dyn BufRead + 'a>,
    line: String,
}

impl Lines<'_> {
    /// The next line, borrowed until the next call; `None` at the end.
    pub fn next_line(&mut self) -> Option<anyhow::Result<&str>> {
        self.line.clear();
        match self.reader.read_line(&mut self.line) {
            Ok(0) => None,
            Ok(_) => Some(Ok(self.line.strip_suffix('\n').unwrap_or(&self.line))),
            Err(e) => Some(Err(spill_error(e))),
        }
    }
}

/// Records kept in order without being held whole: each one a JSON line in a [`Spill`]
/// (memory up to its threshold, then a temporary file), read back in order as often as
/// needed. What waits for a second pass (a large input's subjects, until the facts they are
/// decided on are complete; a table's rows, until the column widths are known).
pub struct Records<T> {
    spill: Spill,
    len: usize,
    _of: PhantomData<T>,
}

impl<T: Serialize + DeserializeOwned> Records<T> {
    /// No records yet; they move to a temporary file past `threshold` bytes.
    pub fn new(threshold: usize) -> Records<T> {
        Records {
            spill: Spill::new(threshold),
            len: 0,
            _of: PhantomData,
        }
    }

    /// Appends one record.
    pub fn push(&mut self, record: &T) -> anyhow::Result<()> {
        // JSON text has no raw newline: one line per record.
        self.spill.write(&serde_json::to_string(record)?)?;
        self.spill.write("\n")?;
        self.len += 1;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every record, in the order pushed, from the first.
    pub fn iter(&mut self) -> anyhow::Result<RecordIter<'_, T>> {
        Ok(RecordIter {
            lines: self.spill.lines()?,
            _of: PhantomData,
        })
    }
}

/// The records of a [`Records`], in order.
pub struct RecordIter<'a, T> {
    lines: Lines<'a>,
    _of: PhantomData<T>,
}

impl<T: DeserializeOwned> Iterator for RecordIter<'_, T> {
    type Item = anyhow::Result<T>;

    fn next(&mut self) -> Option<anyhow::Result<T>> {
        Some(self.lines.next_line()?.and_then(|line| {
            serde_json::from_str(line)
                .map_err(|e| anyhow::anyhow!("internal error: a record read back: {e}"))
        }))
    }
}

/// A JSON list written item by item, byte for byte what `serde_json::to_string_pretty`
/// prints for the whole value, and a final newline: `-o json`'s `v1/List` (keys in order:
/// `apiVersion`, `items`, `kind`), a report's `{"items": [...]}`, or a bare array.
#[derive(Debug)]
pub struct JsonList {
    items: usize,
    shape: Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    V1List,
    Items,
    Array,
}

impl JsonList {
    /// kubectl's `{"apiVersion": "v1", "items": [...], "kind": "List"}`.
    pub fn v1_list() -> JsonList {
        JsonList {
            items: 0,
            shape: Shape::V1List,
        }
    }

    /// A report's `{"items": [...]}`.
    pub fn items() -> JsonList {
        JsonList {
            items: 0,
            shape: Shape::Items,
        }
    }

    /// `[...]`.
    pub fn array() -> JsonList {
        JsonList {
            items: 0,
            shape: Shape::Array,
        }
    }

    /// Each line of an item's own pretty text moves right by this much: items are two
    /// levels in inside an object, one in a bare array (JSON text has no raw newline inside
    /// a string, so every line break is structure).
    fn indent(&self) -> &'static str {
        match self.shape {
            Shape::Array => "\n  ",
            _ => "\n    ",
        }
    }

    /// Writes the list's head.
    pub fn start(&mut self, out: &mut Spill) -> anyhow::Result<()> {
        out.write(match self.shape {
            Shape::V1List => "{\n  \"apiVersion\": \"v1\",\n  \"items\": [",
            Shape::Items => "{\n  \"items\": [",
            Shape::Array => "[",
        })
    }

    /// Writes one item.
    pub fn item<T: Serialize + ?Sized>(&mut self, out: &mut Spill, item: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(item)?;
        out.write(if self.items == 0 { "" } else { "," })?;
        let indent = self.indent();
        out.write(indent)?;
        for (n, line) in text.split('\n').enumerate() {
            if n > 0 {
                out.write(indent)?;
            }
            out.write(line)?;
        }
        self.items += 1;
        Ok(())
    }

    /// Writes the list's tail.
    pub fn end(self, out: &mut Spill) -> anyhow::Result<()> {
        if self.items > 0 {
            out.write(if self.shape == Shape::Array {
                "\n"
            } else {
                "\n  "
            })?;
        }
        out.write(match self.shape {
            Shape::V1List => "],\n  \"kind\": \"List\"\n}\n",
            Shape::Items => "]\n}\n",
            Shape::Array => "]\n",
        })
    }
}

/// `-o yaml`'s list of a report written item by item, byte for byte what the YAML emitter
/// prints for the whole `{"items": [...]}` (or the bare sequence): each item is emitted in
/// a list of its own, at the column it has in the whole.
#[derive(Debug)]
pub struct YamlList {
    items: usize,
    /// Under `items:`, else a bare sequence.
    under_items: bool,
}

impl YamlList {
    /// `items:` and the items.
    pub fn items() -> YamlList {
        YamlList {
            items: 0,
            under_items: true,
        }
    }

    /// A bare sequence.
    pub fn sequence() -> YamlList {
        YamlList {
            items: 0,
            under_items: false,
        }
    }

    /// Writes one item: emitted as the only item of the same list, so that it sits at the
    /// column it has in the whole (the emitter folds long strings by column).
    pub fn item<T: Serialize + ?Sized>(&mut self, out: &mut Spill, item: &T) -> anyhow::Result<()> {
        let one = serde_json::Value::Array(vec![serde_json::to_value(item)?]);
        let text = if self.under_items {
            let whole = crate::yaml::to_string(&serde_json::json!({ "items": one }));
            match whole.strip_prefix("items:\n") {
                Some(rest) if self.items > 0 => rest.to_string(),
                _ => whole,
            }
        } else {
            crate::yaml::to_string(&one)
        };
        out.write(&text)?;
        self.items += 1;
        Ok(())
    }

    /// Writes the list's end (`items: []` or `[]` for none).
    pub fn end(self, out: &mut Spill) -> anyhow::Result<()> {
        if self.items == 0 {
            out.write(if self.under_items {
                "items: []\n"
            } else {
                "[]\n"
            })?;
        }
        Ok(())
    }
}

/// A list written item by item in either machine format.
#[derive(Debug)]
pub enum ListOut {
    Json(JsonList),
    Yaml(YamlList),
}

impl ListOut {
    /// A JSON list, its head written.
    pub fn json(mut list: JsonList, out: &mut Spill) -> anyhow::Result<ListOut> {
        list.start(out)?;
        Ok(ListOut::Json(list))
    }

    pub fn yaml(list: YamlList) -> ListOut {
        ListOut::Yaml(list)
    }

    /// Writes one item.
    pub fn item<T: Serialize + ?Sized>(&mut self, out: &mut Spill, item: &T) -> anyhow::Result<()> {
        match self {
            ListOut::Json(l) => l.item(out, item),
            ListOut::Yaml(l) => l.item(out, item),
        }
    }

    /// Writes the list's end.
    pub fn end(self, out: &mut Spill) -> anyhow::Result<()> {
        match self {
            ListOut::Json(l) => l.end(out),
            ListOut::Yaml(l) => l.end(out),
        }
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
                for shape in [Shape::V1List, Shape::Items, Shape::Array] {
                    let mut out = Spill::new(threshold);
                    let mut list = JsonList { items: 0, shape };
                    list.start(&mut out).unwrap();
                    for item in &items[..n] {
                        list.item(&mut out, item).unwrap();
                    }
                    list.end(&mut out).unwrap();
                    let whole = match shape {
                        Shape::V1List => serde_json::json!({
                            "apiVersion": "v1", "kind": "List", "items": items[..n].to_vec()
                        }),
                        Shape::Items => serde_json::json!({"items": items[..n].to_vec()}),
                        Shape::Array => serde_json::json!(items[..n].to_vec()),
                    };
                    let mut want = serde_json::to_string_pretty(&whole).unwrap();
                    want.push('\n');
                    assert_eq!(contents(out), want, "{n} items, {shape:?}");
                }
            }
        }
    }

    #[test]
    fn yaml_list_is_the_whole_list() {
        let items = [
            serde_json::json!({"kind": "Pod", "spec": {"a": [1, 2, {}], "b": [], "c": {}}}),
            serde_json::json!({"reason": "two\nlines\n\nand a blank one\n", "n": null}),
            serde_json::json!({"reason": "a long sentence that the emitter folds at its column: ".repeat(4),
                "steps": [{"detail": "deeper, so folded at another column, and long enough to be folded twice over ".repeat(3)}]}),
            serde_json::json!({"list": [[1], {"k": ["v"]}], "s": "- not a list"}),
            serde_json::json!({}),
            serde_json::json!("text"),
            serde_json::json!([]),
        ];
        for n in 0..=items.len() {
            for threshold in [0, 1 << 20] {
                for under_items in [true, false] {
                    let mut out = Spill::new(threshold);
                    let mut list = YamlList {
                        items: 0,
                        under_items,
                    };
                    for item in &items[..n] {
                        list.item(&mut out, item).unwrap();
                    }
                    list.end(&mut out).unwrap();
                    let whole = if under_items {
                        serde_json::json!({"items": items[..n].to_vec()})
                    } else {
                        serde_json::json!(items[..n].to_vec())
                    };
                    let want = crate::yaml::to_string(&whole);
                    assert_eq!(contents(out), want, "{n} items, under items: {under_items}");
                }
            }
        }
    }

    #[test]
    fn records_come_back_in_order_from_memory_or_file() {
        for threshold in [0, 40, 1 << 20] {
            let mut r: Records<(u32, String)> = Records::new(threshold);
            for i in 0..50 {
                r.push(&(i, format!("line\n{i}"))).unwrap();
            }
            assert_eq!(r.len(), 50);
            for _ in 0..2 {
                let back: Vec<(u32, String)> = r.iter().unwrap().map(Result::unwrap).collect();
                assert_eq!(back.len(), 50, "threshold {threshold}");
                assert_eq!(back[49], (49, "line\n49".to_string()));
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
