//! A fast reader for the YAML the injector templates render (pure).
//!
//! The stock sidecar template renders a few KB of block-style YAML per pod, and reading it
//! through serde_yaml (unsafe-libyaml's scanner, then serde_yaml's event buffer) was the
//! biggest single cost of `inject`. [`parse`] reads the subset those outputs use in one pass
//! over the bytes, building the `serde_json::Value` directly, and answers `None` for anything
//! outside it, so the caller falls back to serde_yaml (which also words the errors).
//!
//! The subset: block mappings and sequences (including sequences at their key's indent and
//! `- key: v` compact mappings), single-line plain and quoted scalars, literal block scalars
//! (`|`, `|-`, indentation indicators), flow `{}`/`[]` collections that may span lines (with
//! the trailing comma Istio's template leaves in `annotations: {…}`), comments, blank lines,
//! one leading `---`. Anything else — anchors, aliases, tags, `?` keys, folded scalars,
//! multi-line plain or quoted scalars, `|+`, tabs, CR line ends, more documents — is `None`.
//!
//! Whenever it answers `Some`, the value is exactly what `serde_yaml::from_str::<Value>` reads:
//! plain scalars resolve with serde_yaml 0.9's rules (ported below), quoted ones stay strings,
//! double-quoted escapes follow libyaml. The debug build checks every answer against
//! serde_yaml (`inject::pipeline`), so the golden suite is a differential test too.
//!
//! Pure: no I/O; imports nothing but serde_json.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

/// The document as `serde_yaml::from_str::<serde_json::Value>` reads it, or `None` when the
/// text uses YAML this fast path does not handle (the caller then falls back to serde_yaml,
/// which also produces the error message for malformed text).
pub fn parse(text: &str) -> Option<Value> {
    if !plain_characters(text.as_bytes()) {
        return None;
    }
    thread_local! {
        /// The items stack, kept for the next document: see [`super::pool::buffer`].
        static ITEMS: std::cell::RefCell<Vec<Value>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut items = ITEMS.with(|i| std::mem::take(&mut *i.borrow_mut()));
    // Enough for the longest list a sidecar template renders (its env) at once.
    items.reserve(64);
    let mut p = Parser {
        text,
        s: text.as_bytes(),
        pos: 0,
        depth: 0,
        items,
    };
    let value = p.document();
    let mut items = p.items;
    // Left over only when the text was not read to its end.
    items.clear();
    ITEMS.with(|i| *i.borrow_mut() = items);
    value
}

/// Collections nested deeper than this are left to serde_yaml (which stops at 128).
const MAX_DEPTH: usize = 100;

/// libyaml gives up on an implicit key longer than 1024 characters.
const MAX_KEY: usize = 1000;

/// Whether the text holds only characters the parser treats as ordinary: no tab, CR, NUL or
/// other control character, no DEL, no C1 control (NEL is a line break to libyaml), no
/// U+2028/U+2029 (line breaks too), no BOM and no U+FFFE/U+FFFF (unprintable to libyaml).
/// NUL being absent lets [`Parser::at`] use 0 as the end of the text.
fn plain_characters(s: &[u8]) -> bool {
    // Nearly always printable ASCII and line ends: decided a chunk at a time without
    // branching per byte, which the compiler vectorises.
    let ascii = |chunk: &[u8]| {
        chunk.iter().fold(true, |ok, &b| {
            ok & (b.wrapping_sub(0x20) < 0x5f || b == b'\n')
        })
    };
    if s.chunks(64).all(ascii) {
        return true;
    }
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b < 0x80 {
            if (b < 0x20 && b != b'\n') || b == 0x7f {
                return false;
            }
        } else {
            let b1 = s.get(i + 1).copied().unwrap_or(0);
            let b2 = s.get(i + 2).copied().unwrap_or(0);
            let bad = match b {
                0xc2 => b1 < 0xa0,
                0xe2 => b1 == 0x80 && (b2 == 0xa8 || b2 == 0xa9),
                0xef => (b1 == 0xbb && b2 == 0xbf) || (b1 == 0xbf && b2 >= 0xbe),
                _ => false,
            };
            if bad {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// Space, line end or end of text: what must follow `-`, `:` or `---` for them to be
/// indicators.
fn blank(c: u8) -> bool {
    c == b' ' || c == b'\n' || c == 0
}

/// A scalar as written: plain text is resolved (null, bool, number or string) as a value but
/// taken as is as a key; quoted text is always a string.
enum Scalar<'a> {
    Plain(&'a str),
    Quoted(Cow<'a, str>),
}

impl Scalar<'_> {
    fn into_key(self) -> Option<String> {
        let key = match self {
            Scalar::Plain(s) | Scalar::Quoted(Cow::Borrowed(s)) => super::pool::string(s),
            Scalar::Quoted(Cow::Owned(s)) => s,
        };
        // A merge key or serde_json's private marker keys would mean something else to
        // some reader; not worth being clever about.
        if key == "<<" || key.starts_with("$serde_json::private::") {
            return None;
        }
        Some(key)
    }

    fn into_value(self) -> Option<Value> {
        match self {
            Scalar::Plain(s) => resolve(s),
            Scalar::Quoted(Cow::Borrowed(s)) => Some(Value::String(super::pool::string(s))),
            Scalar::Quoted(Cow::Owned(s)) => Some(Value::String(s)),
        }
    }
}

/// What comes next in block context.
enum Next {
    End,
    /// A content line with this many leading spaces; `pos` is at the start of the line.
    Line(usize),
}

struct Parser<'a> {
    text: &'a str,
    s: &'a [u8],
    pos: usize,
    depth: usize,
    /// The items of the block sequences being read, innermost last: each sequence takes
    /// its own off the end in one exact allocation instead of growing a Vec item by item.
    items: Vec<Value>,
}

impl<'a> Parser<'a> {
    /// The byte at `i`, 0 past the end (the text holds no NUL: [`plain_characters`]).
    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    fn cur(&self) -> u8 {
        self.at(self.pos)
    }

    fn slice(&self, from: usize, to: usize) -> Option<&'a str> {
        self.text.get(from..to)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// The whole text: an optional `---` line, one node, nothing after it.
    fn document(&mut self) -> Option<Value> {
        let mut marker = false;
        let indent = loop {
            match self.peek_with_marker(!marker)? {
                (Next::End, _) => return Some(Value::Null),
                (Next::Line(_), true) => marker = true,
                (Next::Line(indent), false) => break indent,
            }
        };
        self.pos += indent;
        let value = self.block_node(-1, indent)?;
        match self.peek()? {
            Next::End => Some(value),
            Next::Line(_) => None,
        }
    }

    /// Skips blank and comment lines from the start of a line, stopping at the next content
    /// line (`pos` at its start) or the end. A document marker there is not supported.
    fn peek(&mut self) -> Option<Next> {
        match self.peek_with_marker(false)? {
            (next, false) => Some(next),
            (_, true) => None,
        }
    }

    /// [`Parser::peek`], and when `allow_marker` a bare `---` line is skipped and reported.
    fn peek_with_marker(&mut self, allow_marker: bool) -> Option<(Next, bool)> {
        loop {
            let start = self.pos;
            if start >= self.s.len() {
                return Some((Next::End, false));
            }
            let mut i = start;
            while self.at(i) == b' ' {
                i += 1;
            }
            match self.at(i) {
                b'\n' => self.pos = i + 1,
                0 => {
                    self.pos = i;
                    return Some((Next::End, false));
                }
                b'#' => self.pos = self.line_end(i),
                c @ (b'-' | b'.')
                    if i == start
                        && self.at(i + 1) == c
                        && self.at(i + 2) == c
                        && blank(self.at(i + 3)) =>
                {
                    if !(allow_marker && c == b'-') {
                        return None;
                    }
                    self.pos = i + 3;
                    self.end_of_line()?;
                    return Some((Next::Line(0), true));
                }
                _ => return Some((Next::Line(i - start), false)),
            }
        }
    }

    /// The position after the line end at or after `i` (or the end of the text).
    fn line_end(&self, mut i: usize) -> usize {
        loop {
            match self.at(i) {
                b'\n' => return i + 1,
                0 => return self.s.len(),
                _ => i += 1,
            }
        }
    }

    /// After a token: spaces, an optional comment (after a space), then the line end.
    fn end_of_line(&mut self) -> Option<()> {
        let start = self.pos;
        while self.cur() == b' ' {
            self.pos += 1;
        }
        match self.cur() {
            b'\n' => self.pos += 1,
            0 => {}
            b'#' if self.pos > start => self.pos = self.line_end(self.pos),
            _ => return None,
        }
        Some(())
    }

    /// A node in block context at column `col` (`pos` there, on its first line), inside a
    /// block collection indented `parent` (-1 at the top).
    fn block_node(&mut self, parent: isize, col: usize) -> Option<Value> {
        match self.cur() {
            b'-' if blank(self.at(self.pos + 1)) => self.block_sequence(col),
            b'|' | b'>' => self.block_scalar(parent),
            b'[' | b'{' => {
                let value = self.flow_node(parent)?;
                self.end_of_line()?;
                self.after_value(parent)?;
                Some(value)
            }
            _ => {
                let (scalar, key) = self.block_scalar_token()?;
                if key {
                    self.block_mapping(col, scalar.into_key()?)
                } else {
                    self.end_of_line()?;
                    self.after_value(parent)?;
                    scalar.into_value()
                }
            }
        }
    }

    /// After a one-line value: a more indented line would continue a plain scalar (folding,
    /// not supported) or be an error; either way not ours.
    fn after_value(&mut self, parent: isize) -> Option<()> {
        match self.peek()? {
            Next::Line(indent) if indent as isize > parent => None,
            _ => Some(()),
        }
    }

    /// A plain or quoted scalar in block context; `true` when a `:` indicator follows (it is a
    /// key, and `pos` is past the `:`).
    fn block_scalar_token(&mut self) -> Option<(Scalar<'a>, bool)> {
        let start = self.pos;
        let scalar = match self.cur() {
            b'"' => Scalar::Quoted(self.double_quoted()?),
            b'\'' => Scalar::Quoted(self.single_quoted()?),
            c if starts_plain(c, self.at(self.pos + 1)) => Scalar::Plain(self.block_plain()?),
            _ => return None,
        };
        let end = self.pos;
        while self.cur() == b' ' {
            self.pos += 1;
        }
        if self.cur() == b':' && blank(self.at(self.pos + 1)) {
            if end - start > MAX_KEY {
                return None;
            }
            self.pos += 1;
            return Some((scalar, true));
        }
        self.pos = end;
        Some((scalar, false))
    }

    /// A plain scalar on one line in block context: up to `: `, ` #` or the line end, trailing
    /// spaces trimmed. `pos` ends after the last character taken.
    fn block_plain(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let mut end = self.pos;
        let mut i = self.pos;
        loop {
            match self.at(i) {
                0 | b'\n' => break,
                b' ' => {
                    i += 1;
                    if self.at(i) == b'#' {
                        break;
                    }
                }
                b':' if blank(self.at(i + 1)) => break,
                _ => {
                    i += 1;
                    end = i;
                }
            }
        }
        self.pos = end;
        self.slice(start, end)
    }

    /// A block mapping at column `col` whose first key was just read (`pos` after its `:`).
    fn block_mapping(&mut self, col: usize, first: String) -> Option<Value> {
        self.enter()?;
        let mut map = Map::new();
        let mut key = first;
        loop {
            let value = self.mapping_value(col)?;
            map.insert(key, value);
            match self.peek()? {
                Next::End => break,
                Next::Line(indent) if indent < col => break,
                Next::Line(indent) if indent > col => return None,
                Next::Line(indent) => self.pos += indent,
            }
            match self.block_scalar_token()? {
                (scalar, true) => key = scalar.into_key()?,
                (_, false) => return None,
            }
        }
        self.leave();
        Some(Value::Object(map))
    }

    /// The value after `key:` in a mapping at column `col`: on the same line, on the lines
    /// below (more indented, or a sequence at the key's own indent), or empty (null).
    fn mapping_value(&mut self, col: usize) -> Option<Value> {
        while self.cur() == b' ' {
            self.pos += 1;
        }
        let parent = col as isize;
        match self.cur() {
            b'\n' | 0 | b'#' => {
                self.pos = self.line_end(self.pos);
                match self.peek()? {
                    Next::Line(indent) if indent > col => {
                        self.pos += indent;
                        self.block_node(parent, indent)
                    }
                    Next::Line(indent)
                        if indent == col
                            && self.at(self.pos + indent) == b'-'
                            && blank(self.at(self.pos + indent + 1)) =>
                    {
                        self.pos += indent;
                        self.block_sequence(col)
                    }
                    _ => Some(Value::Null),
                }
            }
            b'|' | b'>' => self.block_scalar(parent),
            b'[' | b'{' => {
                let value = self.flow_node(parent)?;
                self.end_of_line()?;
                self.after_value(parent)?;
                Some(value)
            }
            _ => match self.block_scalar_token()? {
                (_, true) => None,
                (scalar, false) => {
                    self.end_of_line()?;
                    self.after_value(parent)?;
                    scalar.into_value()
                }
            },
        }
    }

    /// A block sequence whose first `-` is at column `col` (`pos` there).
    fn block_sequence(&mut self, col: usize) -> Option<Value> {
        self.enter()?;
        let start = self.items.len();
        loop {
            // At the `-` of an entry.
            self.pos += 1;
            let mut item_col = col + 1;
            while self.cur() == b' ' {
                self.pos += 1;
                item_col += 1;
            }
            match self.cur() {
                b'\n' | 0 | b'#' => {
                    self.pos = self.line_end(self.pos);
                    match self.peek()? {
                        Next::Line(indent) if indent > col => {
                            self.pos += indent;
                            let item = self.block_node(col as isize, indent)?;
                            self.items.push(item);
                        }
                        _ => self.items.push(Value::Null),
                    }
                }
                _ => {
                    let item = self.block_node(col as isize, item_col)?;
                    self.items.push(item);
                }
            }
            match self.peek()? {
                Next::End => break,
                Next::Line(indent) if indent < col => break,
                Next::Line(indent) if indent > col => return None,
                Next::Line(indent) => {
                    if self.at(self.pos + indent) == b'-' && blank(self.at(self.pos + indent + 1)) {
                        self.pos += indent;
                    } else {
                        // The end of a sequence at its key's indent; the mapping goes on.
                        break;
                    }
                }
            }
        }
        self.leave();
        Some(Value::Array(self.items.drain(start..).collect()))
    }

    /// A literal block scalar (`|`, `|-`, with an optional indentation indicator) in a block
    /// collection indented `parent`; `pos` at the `|`. Follows libyaml's
    /// `scan_block_scalar` for literal scalars; ends at the start of the line after it.
    fn block_scalar(&mut self, parent: isize) -> Option<Value> {
        if self.cur() != b'|' {
            return None; // folded `>`: not supported
        }
        self.pos += 1;
        let mut strip = false;
        let mut increment = None;
        for _ in 0..2 {
            match self.cur() {
                b'-' if !strip => strip = true,
                // `|+` keeps trailing line ends: rare enough to leave to serde_yaml.
                c @ b'1'..=b'9' if increment.is_none() => increment = Some(usize::from(c - b'0')),
                _ => break,
            }
            self.pos += 1;
        }
        self.end_of_line()?;
        // The indicator counts from the enclosing block's indent (libyaml: `parser->indent`,
        // -1 at the top, where the indicator alone counts); 0 = detect from the content.
        let floor = usize::try_from(parent).unwrap_or(0);
        let mut indent = increment.map_or(0, |inc| floor + inc);
        let mut breaks = 0;
        let mut column = self.block_scalar_breaks(&mut indent, &mut breaks, parent)?;
        let mut out = String::new();
        let mut leading_break = false;
        while column == indent && self.cur() != 0 {
            if leading_break {
                out.push('\n');
            }
            for _ in 0..breaks {
                out.push('\n');
            }
            breaks = 0;
            let start = self.pos;
            let end = self.line_end(start);
            leading_break = self.at(end.wrapping_sub(1)) == b'\n' && end > start;
            out.push_str(self.slice(start, if leading_break { end - 1 } else { end })?);
            self.pos = end;
            column = self.block_scalar_breaks(&mut indent, &mut breaks, parent)?;
        }
        if leading_break && !strip {
            out.push('\n');
        }
        Some(Value::String(out))
    }

    /// libyaml's `scan_block_scalar_breaks`: from the start of a line, skips indentation
    /// (up to `indent` spaces, all when it is still 0) and empty lines, counting them into
    /// `breaks`; settles `indent` when it was 0. Returns the column reached, with `pos` there;
    /// when that ends the scalar (column below `indent`), `pos` goes back to the line start.
    fn block_scalar_breaks(
        &mut self,
        indent: &mut usize,
        breaks: &mut usize,
        parent: isize,
    ) -> Option<usize> {
        let mut widest = 0;
        let (line_start, column) = loop {
            let line_start = self.pos;
            while (*indent == 0 || self.pos - line_start < *indent) && self.cur() == b' ' {
                self.pos += 1;
            }
            let column = self.pos - line_start;
            widest = widest.max(column);
            if self.cur() != b'\n' {
                break (line_start, column);
            }
            self.pos += 1;
            *breaks += 1;
        };
        if *indent == 0 {
            // A leading empty line wider than the first content line makes libyaml end the
            // scalar there and then fail on that line; leave such text to serde_yaml.
            if widest > column && self.cur() != 0 {
                return None;
            }
            *indent = widest.max(usize::try_from(parent + 1).unwrap_or(0)).max(1);
        }
        let at_end = self.cur() == 0;
        if column < *indent || at_end {
            self.pos = line_start;
        }
        // Indentation alone, then the end of the text: no content line, so the scalar ends
        // here (the loop's own end check sees the line start again, and read the spaces as
        // content: `"x\n  "` for `a: |-\n  x\n  `). Spaces past the indentation are content.
        if at_end {
            return Some(0);
        }
        Some(column)
    }

    /// The number of spaces from `i`.
    fn spaces_at(&self, mut i: usize) -> usize {
        let start = i;
        while self.at(i) == b' ' {
            i += 1;
        }
        i - start
    }

    /// Ends a quoted scalar at its closing quote (`pos`): the text since `run`, borrowed when
    /// nothing was unescaped before it.
    fn close_quote(&mut self, owned: Option<String>, run: usize) -> Option<Cow<'a, str>> {
        let tail = self.slice(run, self.pos)?;
        self.pos += 1;
        Some(match owned {
            None => Cow::Borrowed(tail),
            Some(mut buf) => {
                buf.push_str(tail);
                Cow::Owned(buf)
            }
        })
    }

    /// A single-line single-quoted scalar; `pos` at the opening quote, ends after the closing.
    fn single_quoted(&mut self) -> Option<Cow<'a, str>> {
        self.pos += 1;
        let (mut owned, mut run): (Option<String>, usize) = (None, self.pos);
        loop {
            match self.cur() {
                0 | b'\n' => return None,
                b'\'' if self.at(self.pos + 1) == b'\'' => {
                    let buf = owned.get_or_insert_with(String::new);
                    buf.push_str(self.slice(run, self.pos + 1)?);
                    self.pos += 2;
                    run = self.pos;
                }
                b'\'' => return self.close_quote(owned, run),
                _ => self.pos += 1,
            }
        }
    }

    /// A single-line double-quoted scalar with libyaml's escapes; `pos` at the opening quote,
    /// ends after the closing.
    fn double_quoted(&mut self) -> Option<Cow<'a, str>> {
        self.pos += 1;
        let (mut owned, mut run): (Option<String>, usize) = (None, self.pos);
        loop {
            match self.cur() {
                0 | b'\n' => return None,
                b'"' => return self.close_quote(owned, run),
                b'\\' => {
                    let buf = owned.get_or_insert_with(String::new);
                    buf.push_str(self.text.get(run..self.pos)?);
                    let (c, len) = match self.at(self.pos + 1) {
                        b'0' => ('\0', 2),
                        b'a' => ('\x07', 2),
                        b'b' => ('\x08', 2),
                        b't' => ('\t', 2),
                        b'n' => ('\n', 2),
                        b'v' => ('\x0b', 2),
                        b'f' => ('\x0c', 2),
                        b'r' => ('\r', 2),
                        b'e' => ('\x1b', 2),
                        b' ' => (' ', 2),
                        b'"' => ('"', 2),
                        b'/' => ('/', 2),
                        b'\\' => ('\\', 2),
                        b'N' => ('\u{85}', 2),
                        b'_' => ('\u{a0}', 2),
                        b'L' => ('\u{2028}', 2),
                        b'P' => ('\u{2029}', 2),
                        b'x' => (self.hex_escape(2)?, 4),
                        b'u' => (self.hex_escape(4)?, 6),
                        b'U' => (self.hex_escape(8)?, 10),
                        // Unknown escapes are errors; `\` at the line end folds the line.
                        _ => return None,
                    };
                    buf.push(c);
                    self.pos += len;
                    run = self.pos;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// The character of `\x`, `\u` or `\U` with `digits` hex digits after `pos + 2`
    /// (surrogates and values past U+10FFFF are errors to libyaml).
    fn hex_escape(&self, digits: usize) -> Option<char> {
        let mut value: u32 = 0;
        for k in 0..digits {
            let d = char::from(self.at(self.pos + 2 + k)).to_digit(16)?;
            value = (value << 4) | d;
        }
        char::from_u32(value)
    }

    /// Enters a flow collection at its opening bracket; `true` when it is empty (`[]`,
    /// `{}`), which is then consumed and left.
    fn flow_open(&mut self, close: u8, parent: isize) -> Option<bool> {
        self.enter()?;
        self.pos += 1;
        self.flow_space(parent)?;
        if self.cur() == close {
            self.pos += 1;
            self.leave();
            return Some(true);
        }
        Some(false)
    }

    /// A flow collection or scalar; `pos` at its first character. Flow collections may span
    /// lines; `parent` is the indent of the block collection around it.
    fn flow_node(&mut self, parent: isize) -> Option<Value> {
        match self.cur() {
            b'[' => {
                let mut items = Vec::new();
                if self.flow_open(b']', parent)? {
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.flow_node(parent)?);
                    self.flow_space(parent)?;
                    if self.flow_next(b']', parent)? {
                        break;
                    }
                }
                self.leave();
                Some(Value::Array(items))
            }
            b'{' => {
                let mut map = Map::new();
                if self.flow_open(b'}', parent)? {
                    return Some(Value::Object(map));
                }
                loop {
                    let quoted = matches!(self.cur(), b'"' | b'\'');
                    let start = self.pos;
                    let key = self.flow_scalar()?.into_key()?;
                    if self.pos - start > MAX_KEY {
                        return None;
                    }
                    // The `:` on the key's line (an implicit key is one line); after a plain
                    // key it needs a space, after a quoted one (JSON) it need not.
                    while self.cur() == b' ' {
                        self.pos += 1;
                    }
                    if self.cur() != b':' || !(quoted || blank(self.at(self.pos + 1))) {
                        return None;
                    }
                    self.pos += 1;
                    self.flow_space(parent)?;
                    if matches!(self.cur(), b',' | b'}') {
                        return None;
                    }
                    let value = self.flow_node(parent)?;
                    map.insert(key, value);
                    self.flow_space(parent)?;
                    if self.flow_next(b'}', parent)? {
                        break;
                    }
                }
                self.leave();
                Some(Value::Object(map))
            }
            _ => self.flow_scalar()?.into_value(),
        }
    }

    /// After an entry of a flow collection: `,` (then maybe the closer: a trailing comma) or
    /// the closer. `true` when the collection is closed.
    fn flow_next(&mut self, close: u8, parent: isize) -> Option<bool> {
        match self.cur() {
            b',' => {
                self.pos += 1;
                self.flow_space(parent)?;
                if self.cur() == close {
                    self.pos += 1;
                    return Some(true);
                }
                Some(false)
            }
            c if c == close => {
                self.pos += 1;
                Some(true)
            }
            _ => None,
        }
    }

    /// A scalar inside a flow collection: quoted, or plain from a conservative character set
    /// (JSON numbers and words, Kubernetes names and annotation keys).
    fn flow_scalar(&mut self) -> Option<Scalar<'a>> {
        match self.cur() {
            b'"' => Some(Scalar::Quoted(self.double_quoted()?)),
            b'\'' => Some(Scalar::Quoted(self.single_quoted()?)),
            c => {
                if !(c.is_ascii_alphanumeric()
                    || matches!(c, b'.' | b'_' | b'/' | b'~' | b'+')
                    || (c == b'-' && {
                        let next = self.at(self.pos + 1);
                        next.is_ascii_alphanumeric() || next == b'.'
                    }))
                {
                    return None;
                }
                let start = self.pos;
                loop {
                    match self.cur() {
                        c if c.is_ascii_alphanumeric()
                            || matches!(c, b'.' | b'_' | b'/' | b'~' | b'+' | b'-') =>
                        {
                            self.pos += 1;
                        }
                        b' ' | b'\n' | 0 | b',' | b']' | b'}' => break,
                        b':' if blank(self.at(self.pos + 1)) => break,
                        _ => return None,
                    }
                }
                Some(Scalar::Plain(self.slice(start, self.pos)?))
            }
        }
    }

    /// Spaces, line ends and comments inside a flow collection. Continuation lines must not
    /// be less indented than the block collection around the flow one, nor be a document
    /// marker.
    fn flow_space(&mut self, parent: isize) -> Option<()> {
        let floor = usize::try_from(parent).unwrap_or(0);
        let mut spaced = false;
        loop {
            match self.cur() {
                b' ' => {
                    self.pos += 1;
                    spaced = true;
                }
                b'\n' => {
                    self.pos += 1;
                    let spaces = self.spaces_at(self.pos);
                    let c = self.at(self.pos + spaces);
                    if spaces == 0 && matches!(c, b'-' | b'.') {
                        return None; // maybe a document marker
                    }
                    if spaces < floor && !matches!(c, b'\n' | b'#') {
                        return None;
                    }
                    spaced = true;
                }
                b'#' if spaced => {
                    while !matches!(self.cur(), b'\n' | 0) {
                        self.pos += 1;
                    }
                }
                0 => return None,
                _ => return Some(()),
            }
        }
    }
}

/// Whether `c` (followed by `next`) can start a plain scalar in block context: not an
/// indicator, except `-` followed by a non-space (`-p`, `--domain`, `-1`).
fn starts_plain(c: u8, next: u8) -> bool {
    match c {
        b'-' => !blank(next),
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' | 0 => false,
        _ => true,
    }
}

/// A plain scalar as serde_yaml 0.9 resolves it into `serde_json::Value`
/// (`visit_untagged_scalar`): null, bool, integer, float, else string. `None` for integers
/// past 64 bits, which serde_json rejects (serde_yaml then fails).
fn resolve(s: &str) -> Option<Value> {
    if s.is_empty() || matches!(s, "~" | "null" | "Null" | "NULL") {
        return Some(Value::Null);
    }
    match s {
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    // Only text starting like a number can be one: a cheap test before the ported rules.
    let first = s.as_bytes().first().copied().unwrap_or(0);
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Some(Value::String(super::pool::string(s)));
    }
    if let Some(n) = parse_unsigned_int(s, u64::from_str_radix) {
        return Some(Value::Number(n.into()));
    }
    if let Some(n) = parse_negative_int(s, i64::from_str_radix) {
        return Some(Value::Number(n.into()));
    }
    if parse_unsigned_int(s, u128::from_str_radix).is_some()
        || parse_negative_int(s, i128::from_str_radix).is_some()
    {
        return None;
    }
    if !digits_but_not_number(s)
        && let Some(f) = parse_f64(s)
    {
        return Some(Number::from_f64(f).map_or(Value::Null, Value::Number));
    }
    Some(Value::String(super::pool::string(s)))
}

type FromStrRadix<T> = fn(&str, u32) -> Result<T, std::num::ParseIntError>;

/// serde_yaml 0.9's `parse_unsigned_int`: `0x`/`0o`/`0b` prefixes, an optional `+`, no
/// leading zeros.
fn parse_unsigned_int<T>(s: &str, from_str_radix: FromStrRadix<T>) -> Option<T> {
    let unpositive = s.strip_prefix('+').unwrap_or(s);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(n) = from_str_radix(rest, radix) {
                return Some(n);
            }
        }
    }
    if unpositive.starts_with(['+', '-']) || digits_but_not_number(s) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

/// serde_yaml 0.9's `parse_negative_int`.
fn parse_negative_int<T>(s: &str, from_str_radix: FromStrRadix<T>) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = s.strip_prefix(prefix)
            && let Ok(n) = from_str_radix(&format!("-{rest}"), radix)
        {
            return Some(n);
        }
    }
    if digits_but_not_number(s) {
        return None;
    }
    from_str_radix(s, 10).ok()
}

/// serde_yaml 0.9's `parse_f64`: YAML's `.inf`/`.nan` spellings, else Rust's parser, finite
/// results only.
fn parse_f64(s: &str) -> Option<f64> {
    let unpositive = match s.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => s,
    };
    if let ".inf" | ".Inf" | ".INF" = unpositive {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = s {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = s {
        return Some(f64::NAN);
    }
    unpositive.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// serde_yaml 0.9's `digits_but_not_number`: leading zeros make a string (YAML 1.2).
fn digits_but_not_number(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    s.len() > 1 && s.first() == Some(&b'0') && s.iter().skip(1).all(u8::is_ascii_digit)
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
