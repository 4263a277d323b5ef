//! kubectl's table: upper-case headers, columns padded to their widest cell and three spaces
//! apart, no trailing blanks. Cells may carry a style (the verdict, drift); color is applied
//! after padding, so widths count what the terminal shows, and every styled cell also says
//! its meaning in words.

use unicode_width::UnicodeWidthStr;

/// How a cell is colored when color is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    #[default]
    Plain,
    Good,
    Bad,
    Warn,
}

impl Style {
    /// The text in this style's color when `color` is on (ANSI SGR codes).
    pub fn paint(self, text: &str, color: bool) -> String {
        let code = match self {
            Style::Plain => return text.to_string(),
            Style::Good => "32",
            Style::Bad => "31",
            Style::Warn => "33",
        };
        if !color || text.is_empty() {
            return text.to_string();
        }
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    }
}

/// One cell: its text and style.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    pub text: String,
    pub style: Style,
}

impl Cell {
    /// A cell; its text is escaped for the terminal ([`super::escape`]): cells carry names
    /// and values from the input.
    pub fn styled(text: impl Into<String>, style: Style) -> Cell {
        let text = text.into();
        Cell {
            text: match super::escape(&text) {
                std::borrow::Cow::Borrowed(_) => text,
                std::borrow::Cow::Owned(e) => e,
            },
            style,
        }
    }
}

impl<T: Into<String>> From<T> for Cell {
    fn from(text: T) -> Cell {
        Cell::styled(text, Style::Plain)
    }
}

/// A table being built.
pub struct Table {
    headers: Vec<String>,
    /// Each row's cells, compact ([`encode`]), a line each, in memory up to
    /// [`super::SPILL_BYTES`] and then in a temporary file: 100,000 rows cost neither
    /// 100,000 vectors of strings nor their text held whole.
    rows: super::Spill,
    len: usize,
    /// The first failure to keep a row (the temporary file could not be written), returned
    /// by `render`: building a table stays infallible.
    error: Option<anyhow::Error>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("headers", &self.headers)
            .field("rows", &self.len)
            .finish()
    }
}

/// Ends each cell of a stored row: a cell's text is escaped ([`super::escape`]), so it holds
/// no control character.
const END: char = '\u{1f}';

/// A row as stored: per cell, its style's letter, its text and [`END`].
fn encode(cells: &[Cell]) -> String {
    let mut row = String::with_capacity(cells.iter().map(|c| c.text.len() + 2).sum());
    for c in cells {
        push_cell(&mut row, c);
    }
    row
}

fn push_cell(row: &mut String, cell: &Cell) {
    row.push(match cell.style {
        Style::Plain => 'p',
        Style::Good => 'g',
        Style::Bad => 'b',
        Style::Warn => 'w',
    });
    // A cell built field by field may hold what `Cell::styled` would have escaped.
    row.push_str(&super::escape(&cell.text));
    row.push(END);
}

/// The cells of a stored row: (style, text).
fn decode(row: &str) -> impl Iterator<Item = (Style, &str)> {
    row.split_terminator(END).map(|cell| {
        let style = match cell.as_bytes().first() {
            Some(b'g') => Style::Good,
            Some(b'b') => Style::Bad,
            Some(b'w') => Style::Warn,
            _ => Style::Plain,
        };
        (style, cell.get(1..).unwrap_or(""))
    })
}

impl Table {
    pub fn new<I, S>(headers: I) -> Table
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: super::Spill::new(super::SPILL_BYTES),
            len: 0,
            error: None,
        }
    }

    /// The same table keeping its rows in a temporary file past `threshold` bytes.
    #[cfg(test)]
    fn spilling_at(mut self, threshold: usize) -> Table {
        self.rows = super::Spill::new(threshold);
        self
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<Cell>) {
        let mut row = encode(&cells);
        row.push('\n'); // escaped text holds no line break
        if let Err(e) = self.rows.write(&row) {
            self.error.get_or_insert(e);
        }
        self.len += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The index of a column by its header, case-insensitively.
    pub fn column(&self, header: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(header))
    }

    /// Adds a column at the right: its header and one cell per row, in row order (a row
    /// without a cell gets an empty one).
    pub fn push_column(&mut self, header: impl Into<String>, cells: Vec<Cell>) {
        self.headers.push(header.into());
        if let Err(e) = self.append(cells) {
            self.error.get_or_insert(e);
        }
    }

    fn append(&mut self, cells: Vec<Cell>) -> anyhow::Result<()> {
        let mut cells = cells.into_iter();
        let mut rows = super::Spill::new(super::SPILL_BYTES);
        let mut lines = self.rows.lines()?;
        while let Some(line) = lines.next_line() {
            let mut r = line?.to_string();
            push_cell(&mut r, &cells.next().unwrap_or_default());
            r.push('\n');
            rows.write(&r)?;
        }
        drop(lines);
        self.rows = rows;
        Ok(())
    }

    /// The headers of kubectl's `-L KEY` and `--show-labels` columns: the key's last `/`
    /// segment in capitals for each key, then LABELS.
    pub fn label_headers(keys: &[String], all: bool) -> Vec<String> {
        let mut out: Vec<String> = keys
            .iter()
            .map(|key| key.rsplit('/').next().unwrap_or(key).to_uppercase())
            .collect();
        if all {
            out.push("LABELS".into());
        }
        out
    }

    /// One row's cells of those columns: its value of each key, then every label (`k=v,…`,
    /// `<none>`).
    pub fn label_cells(labels: &crate::model::StringMap, keys: &[String], all: bool) -> Vec<Cell> {
        let mut out: Vec<Cell> = keys
            .iter()
            .map(|key| Cell::from(labels.get(key).cloned().unwrap_or_default()))
            .collect();
        if all {
            out.push(if labels.is_empty() {
                Cell::from("<none>")
            } else {
                let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                Cell::from(pairs.join(","))
            });
        }
        out
    }

    /// kubectl's `-L KEY` and `--show-labels` on this table ([`Table::label_headers`],
    /// [`Table::label_cells`]). `labels` holds each row's labels, in row order.
    pub fn label_columns(
        &mut self,
        labels: &[&crate::model::StringMap],
        keys: &[String],
        all: bool,
    ) {
        let cells: Vec<Vec<Cell>> = labels
            .iter()
            .map(|l| Table::label_cells(l, keys, all))
            .collect();
        for (c, header) in Table::label_headers(keys, all).into_iter().enumerate() {
            let column = cells.iter().map(|row| row[c].clone()).collect();
            self.push_column(header, column);
        }
    }

    /// The table as text, colored as decided at start-up; without headers for
    /// `--no-headers`.
    pub fn render(&mut self, headers: bool) -> anyhow::Result<String> {
        self.render_with(headers, super::color::enabled())
    }

    pub fn render_with(&mut self, headers: bool, color: bool) -> anyhow::Result<String> {
        let mut out = String::new();
        self.render_each(headers, color, |line| {
            out.push_str(line);
            Ok(())
        })?;
        Ok(out)
    }

    /// The table into `out`, a line at a time: neither the rows nor the text held whole.
    pub fn render_into(&mut self, headers: bool, out: &mut super::Spill) -> anyhow::Result<()> {
        self.render_each(headers, super::color::enabled(), |line| out.write(line))
    }

    /// Each line of the table, with its line end, to `emit`: the rows are read twice, for
    /// the widths and then for the text.
    fn render_each(
        &mut self,
        headers: bool,
        color: bool,
        mut emit: impl FnMut(&str) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let header_row = encode(&self.headers.iter().map(Cell::from).collect::<Vec<Cell>>());
        let mut widths: Vec<usize> = Vec::new();
        let mut measure = |row: &str| {
            for (c, (_, text)) in decode(row).enumerate() {
                if c == widths.len() {
                    widths.push(0);
                }
                widths[c] = widths[c].max(text.width());
            }
        };
        if headers {
            measure(&header_row);
        }
        let mut lines = self.rows.lines()?;
        while let Some(row) = lines.next_line() {
            measure(row?);
        }
        drop(lines);
        let mut line = String::new();
        let mut one = |row: &str| -> anyhow::Result<()> {
            line.clear();
            let decoded: Vec<(Style, &str)> = decode(row).collect();
            let last = decoded.len().saturating_sub(1);
            for (c, &(style, cell)) in decoded.iter().enumerate() {
                let mut text = cell.to_string();
                if c != last {
                    let pad = widths[c].saturating_sub(cell.width()) + 3;
                    text.push_str(&" ".repeat(pad));
                }
                // Trailing blanks of the padding go before color codes are added.
                if c == last || decoded[c + 1..].iter().all(|n| n.1.is_empty()) {
                    text.truncate(text.trim_end().len());
                }
                line.push_str(&style.paint(&text, color));
            }
            line.truncate(line.trim_end().len());
            line.push('\n');
            emit(&line)
        };
        if headers {
            one(&header_row)?;
        }
        let mut lines = self.rows.lines()?;
        while let Some(row) = lines.next_line() {
            one(row?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_the_widest_cell_three_apart() {
        let mut t = Table::new(["NAME", "INJECT", "REASON"]);
        t.row(vec![
            "web".into(),
            Cell::styled("yes", Style::Good),
            "".into(),
        ]);
        t.row(vec![
            "frontend-ü".into(),
            Cell::styled("no", Style::Bad),
            "why".into(),
        ]);
        assert_eq!(
            t.render_with(true, false).unwrap(),
            "NAME         INJECT   REASON\nweb          yes\nfrontend-ü   no       why\n"
        );
        // Without headers, as kubectl's --no-headers, the rows alone set the widths.
        assert_eq!(
            t.render_with(false, false).unwrap(),
            "web          yes\nfrontend-ü   no    why\n"
        );
    }

    #[test]
    fn rows_kept_in_a_temporary_file_render_the_same() {
        let build = |t: Table| {
            let mut t = t;
            for i in 0..200 {
                t.row(vec![
                    format!("name-{i}").into(),
                    Cell::styled(if i % 2 == 0 { "yes" } else { "no" }, Style::Good),
                    "tab\there".into(),
                ]);
            }
            t.push_column("EXTRA", vec!["x".into(); 150]);
            assert_eq!(t.len(), 200);
            t.render_with(true, true).unwrap()
        };
        let spilled = build(Table::new(["NAME", "INJECT", "WHY"]).spilling_at(64));
        let held = build(Table::new(["NAME", "INJECT", "WHY"]));
        assert_eq!(spilled, held);
        assert!(
            held.starts_with("NAME       INJECT   WHY         EXTRA\n"),
            "{held}"
        );
        assert!(
            held.contains("name-199   \u{1b}[32mno       \u{1b}[0mtab\\there\n"),
            "{held}"
        );
    }

    #[test]
    fn label_columns_as_kubectl_heads_them() {
        let mut t = Table::new(["NAME"]);
        t.row(vec!["web".into()]);
        t.row(vec!["db".into()]);
        let web = crate::model::StringMap::from([
            ("app".to_string(), "web".to_string()),
            ("istio.io/rev".to_string(), "canary".to_string()),
        ]);
        let db = crate::model::StringMap::new();
        t.label_columns(&[&web, &db], &["istio.io/rev".into(), "app".into()], true);
        assert_eq!(
            t.render_with(true, false).unwrap(),
            "NAME   REV      APP   LABELS\nweb    canary   web   app=web,istio.io/rev=canary\ndb                    <none>\n"
        );
    }

    #[test]
    fn color_does_not_change_widths_or_words() {
        let mut t = Table::new(["A", "B"]);
        t.row(vec![Cell::styled("yes", Style::Good), "x".into()]);
        let out = t.render_with(true, true).unwrap();
        assert_eq!(out, "A     B\n\u{1b}[32myes   \u{1b}[0mx\n");
    }
}
