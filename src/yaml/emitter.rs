//! A port of the parts of go-yaml v2's libyaml emitter (`emitterc.go`) that marshalling
//! JSON data reaches: block mappings and sequences, `{}`/`[]` for empty ones, and the four
//! scalar styles go-yaml asks for (plain, single-quoted, double-quoted, literal), with the
//! emitter's own column bookkeeping so that line folding at `best_width` (80) lands exactly
//! where Go's does. Names follow the Go source to keep the two comparable.

use serde_json::Value;

use super::{keys, number, resolve};

/// libyaml's `best_indent` and `best_width` as go-yaml v2 leaves them.
const BEST_INDENT: i64 = 2;
const BEST_WIDTH: i64 = 80;
/// `yaml_emitter_check_simple_key`: longer keys are written as `? key`.
const MAX_SIMPLE_KEY_BYTES: usize = 128;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// What `yaml_emitter_analyze_scalar` concludes about a scalar's text.
#[derive(Debug)]
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

pub(super) struct Emitter {
    out: String,
    column: i64,
    indent: i64,
    indents: Vec<i64>,
    whitespace: bool,
    indention: bool,
    mapping_context: bool,
    simple_key_context: bool,
    /// The current scalar's characters, one buffer reused for every scalar.
    chars: Vec<char>,
}

impl Emitter {
    /// One document: stream start, the node, an implicit document end.
    pub(super) fn document(value: &Value) -> String {
        let mut e = Emitter {
            out: String::with_capacity(4096),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            mapping_context: false,
            simple_key_context: false,
            chars: Vec::new(),
        };
        e.node(value, false, false);
        // yaml_emitter_emit_document_end (implicit): end the last line.
        e.write_indent();
        e.out
    }

    /// `yaml_emitter_emit_node` for what go-yaml's encoder produces from a JSON value.
    fn node(&mut self, value: &Value, mapping: bool, simple_key: bool) {
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match value {
            Value::Null => self.scalar("null", Style::Plain),
            Value::Bool(true) => self.scalar("true", Style::Plain),
            Value::Bool(false) => self.scalar("false", Style::Plain),
            Value::Number(n) => self.scalar(&number::format(n), Style::Plain),
            // Simple text has no line break and no NEL: only its type decides the style.
            Value::String(s) if is_simple(s) => {
                if resolve::plain_reads_as_string(s) {
                    self.simple_scalar(s);
                } else {
                    self.scalar(s, Style::DoubleQuoted);
                }
            }
            Value::String(s) => {
                let s = reread_nel(s);
                self.scalar(&s, string_style(&s));
            }
            Value::Array(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Object(map) if map.is_empty() => self.empty_flow("{", "}"),
            Value::Array(items) => self.block_sequence(items),
            // A map's own order (bytes) is go-yaml's order unless a key needs its rules
            // (digits, non-ASCII) or a letter meets a non-letter past `Z`/`z` in bytes.
            Value::Object(map) if keys::in_order(map.keys()) => self.block_mapping(map.iter()),
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                keys::sort(&mut entries);
                self.block_mapping(entries.into_iter());
            }
        }
    }

    /// `yaml_emitter_emit_flow_{sequence_item,mapping_key}` for an empty collection.
    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Value]) {
        let indentless = self.mapping_context && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, false, false);
        }
        self.pop_indent();
    }

    fn block_mapping<'v>(&mut self, entries: impl Iterator<Item = (&'v String, &'v Value)>) {
        self.increase_indent(false, false);
        for (key, value) in entries {
            self.write_indent();
            if key.len() <= MAX_SIMPLE_KEY_BYTES
                && is_simple(key)
                && resolve::plain_reads_as_string(key)
            {
                self.mapping_context = true;
                self.simple_key_context = true;
                self.simple_scalar(key);
                self.write_indicator(":", false, false, false);
                self.node(value, true, false);
                continue;
            }
            let key = reread_nel(key);
            let multiline = !is_simple(&key) && {
                let mut chars = std::mem::take(&mut self.chars);
                chars.clear();
                chars.extend(key.chars());
                let multiline = analyze(&chars).multiline;
                self.chars = chars;
                multiline
            };
            if !multiline && key.len() <= MAX_SIMPLE_KEY_BYTES {
                self.mapping_context = true;
                self.simple_key_context = true;
                self.scalar(&key, string_style(&key));
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.mapping_context = true;
                self.simple_key_context = false;
                self.scalar(&key, string_style(&key));
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(value, true, false);
        }
        self.pop_indent();
    }

    /// A plain scalar of [`is_simple`] text: what analyze, select_style and write_plain
    /// amount to for it, as it stays plain and has no space to fold at. Most scalars of a
    /// manifest take this path.
    fn simple_scalar(&mut self, value: &str) {
        if !self.whitespace {
            self.put(' ');
        }
        self.out.push_str(value);
        self.column += i64::try_from(value.len()).unwrap_or(i64::MAX);
        self.whitespace = false;
        self.indention = false;
    }

    /// `yaml_emitter_emit_scalar`: pick the style libyaml allows, indent, write.
    fn scalar(&mut self, value: &str, requested: Style) {
        if requested == Style::Plain && is_simple(value) {
            self.simple_scalar(value);
            return;
        }
        let mut chars = std::mem::take(&mut self.chars);
        chars.clear();
        chars.extend(value.chars());
        let analysis = analyze(&chars);
        let style = self.select_style(requested, &chars, &analysis);
        self.increase_indent(true, false);
        let allow_breaks = !self.simple_key_context;
        match style {
            Style::Plain => self.write_plain(&chars, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(&chars, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(&chars, allow_breaks),
            Style::Literal => self.write_literal(&chars),
        }
        self.chars = chars;
        self.pop_indent();
    }

    /// `yaml_emitter_select_scalar_style` (block context, implicit tags, not canonical).
    fn select_style(&self, requested: Style, chars: &[char], a: &Analysis) -> Style {
        let mut style = requested;
        if self.simple_key_context && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain
            && (!a.block_plain_allowed || (chars.is_empty() && self.simple_key_context))
        {
            style = Style::SingleQuoted;
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!a.block_allowed || self.simple_key_context) {
            style = Style::DoubleQuoted;
        }
        style
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// `write_break`: `\n` goes out as the emitter's line break, other breaks as they are.
    fn write_break(&mut self, c: char) {
        self.out.push(c);
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        const SPACES: &str = "                                                                ";
        while self.column < indent {
            let n = usize::try_from(indent - self.column)
                .unwrap_or(0)
                .min(SPACES.len());
            self.out.push_str(&SPACES[..n]);
            self.column += i64::try_from(n).unwrap_or(i64::MAX);
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_plain(&mut self, value: &[char], allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in value.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && value.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &[char], allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in value.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < value.len()
                    && value.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, value: &[char], allow_breaks: bool) {
        let mut spaces = false;
        self.write_indicator("\"", true, false, false);
        // go-yaml's `is_bom(value, i)` looks at the start of the value whatever `i` is: a
        // value that starts with a BOM has every character escaped.
        let starts_with_bom = value.first() == Some(&'\u{FEFF}');
        for (i, &c) in value.iter().enumerate() {
            if !is_printable(c) || starts_with_bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match escape_letter(c) {
                    Some(letter) => self.put(letter),
                    None => {
                        let v = u32::from(c);
                        let (prefix, digits) = match v {
                            0..=0xFF => ('x', 2),
                            0x100..=0xFFFF => ('u', 4),
                            _ => ('U', 8),
                        };
                        self.put(prefix);
                        for k in (0..digits).rev() {
                            let digit = (v >> (k * 4)) & 0xF;
                            self.put(
                                char::from_digit(digit, 16).map_or('0', |d| d.to_ascii_uppercase()),
                            );
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i + 1 != value.len()
                {
                    self.write_indent();
                    if value.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &[char]) {
        self.write_indicator("|", true, false, false);
        // yaml_emitter_write_block_scalar_hints
        if value.first().is_some_and(|&c| c == ' ' || is_break(c)) {
            // The indentation indicator is `best_indent`.
            self.write_indicator("2", false, false, false);
        }
        let chomp = match value {
            [] => Some('-'),
            [.., last] if !is_break(*last) => Some('-'),
            [_] => Some('+'),
            [.., before, _] if is_break(*before) => Some('+'),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(&chomp.to_string(), false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in value {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                    breaks = false;
                }
                self.put(c);
                self.indention = false;
            }
        }
    }
}

/// The style go-yaml's `stringv` asks for: literal for multi-line text, plain when the text
/// would read back as a string, double quotes otherwise.
pub(super) fn string_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if resolve::plain_reads_as_string(s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

/// The string go-yaml reads back from Go's JSON for `s`. `encoding/json` escapes every
/// line break but NEL (U+0085), which it writes raw; go-yaml then folds it as a line break
/// of a double-quoted scalar: blanks around it vanish, one NEL becomes a space, `n` NELs in a
/// row become `n - 1` newlines.
fn reread_nel(s: &str) -> std::borrow::Cow<'_, str> {
    // `is_ascii` first: it is vectorised, and most text is ASCII.
    if s.is_ascii() || !s.contains('\u{85}') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ' ' && c != '\u{85}' {
            out.push(c);
            continue;
        }
        // A run of spaces and NELs: spaces alone stay, otherwise fold.
        let mut run = String::from(c);
        while let Some(&n) = chars.peek().filter(|&&n| n == ' ' || n == '\u{85}') {
            run.push(n);
            chars.next();
        }
        let breaks = run.chars().filter(|&n| n == '\u{85}').count();
        match breaks {
            0 => out.push_str(&run),
            1 => out.push(' '),
            n => out.extend(std::iter::repeat_n('\n', n - 1)),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Text that libyaml writes plain, as it is, in any block context: printable ASCII without
/// space, not starting with an indicator (`?`, `:` and `-` are indicators only before a
/// space or at the end), `---` or `...`, and not ending in `:`. Past the first character
/// only `: ` and ` #` are indicators in block context, and without spaces neither can
/// occur, so `analyze` finds nothing in it.
fn is_simple(s: &str) -> bool {
    let bytes = s.as_bytes();
    let first_ok = match bytes {
        [] => false,
        [b'?' | b':' | b'-'] => false,
        [b'-', b'-', b'-', ..] | [b'.', b'.', b'.', ..] => false,
        [first, ..] => !matches!(
            first,
            b'#' | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        ),
    };
    // The byte check folds without branching per byte, which the compiler vectorises.
    first_ok
        && bytes.last() != Some(&b':')
        && bytes.iter().fold(true, |ok, &b| ok & b.is_ascii_graphic())
}

/// `yaml_emitter_analyze_scalar`, keeping what block context needs.
fn analyze(value: &[char]) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators =
        value.starts_with(&['-', '-', '-']) || value.starts_with(&['.', '.', '.']);
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut preceded_by_whitespace = true;
    let mut previous_space = false;
    let mut previous_break = false;

    for (i, &c) in value.iter().enumerate() {
        let followed_by_whitespace = value.get(i + 1).is_none_or(|&n| n == ' ' || n == '\t');
        let last = i + 1 == value.len();
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = c == ' ' || c == '\t' || c == '\0' || is_break(c);
    }

    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// libyaml's `is_break`: CR, LF, NEL, LS, PS.
fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` (on UTF-8 bytes; here on the decoded character): no tab, no C1
/// controls, nothing beyond the Basic Multilingual Plane.
fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        && c != '\u{FEFF}'
}

/// The one-letter escapes of `yaml_emitter_write_double_quoted_scalar`. (`\_` for U+00A0 is
/// unreachable there: a no-break space is printable and goes out as it is.)
fn escape_letter(c: char) -> Option<char> {
    Some(match c {
        '\0' => '0',
        '\u{07}' => 'a',
        '\u{08}' => 'b',
        '\t' => 't',
        '\n' => 'n',
        '\u{0B}' => 'v',
        '\u{0C}' => 'f',
        '\r' => 'r',
        '\u{1B}' => 'e',
        '"' => '"',
        '\\' => '\\',
        '\u{85}' => 'N',
        '\u{2028}' => 'L',
        '\u{2029}' => 'P',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path's premise: libyaml's analysis allows every "simple" text plain and
    /// single-line, so writing it as it is equals what `write_plain` would write. Checked
    /// over every text of up to three characters from a set covering each class.
    #[test]
    fn simple_text_is_what_analysis_allows_plain() {
        let alphabet: Vec<char> = "aZ09_/.-:#,[]{}&*!|>'\"%@`?~=+$() \t\n\u{85}é"
            .chars()
            .collect();
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        let mut simple = 0;
        for t in &texts {
            if is_simple(t) {
                simple += 1;
                let chars: Vec<char> = t.chars().collect();
                let a = analyze(&chars);
                assert!(a.block_plain_allowed && !a.multiline, "{t:?}: {a:?}");
            }
        }
        assert!(simple > 1000, "only {simple} simple texts generated");
    }
}
