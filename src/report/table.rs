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
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new<I, S>(headers: I) -> Table
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows, in order (for sorting by a column before rendering).
    pub fn rows_mut(&mut self) -> &mut Vec<Vec<Cell>> {
        &mut self.rows
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
        let mut cells = cells.into_iter();
        for row in &mut self.rows {
            row.push(cells.next().unwrap_or_default());
        }
    }

    /// kubectl's `-L KEY` and `--show-labels` on this table: a column per key (headed by the
    /// key's last `/` segment in capitals, as kubectl heads it) holding the row object's
    /// value of that label, then a LABELS column with every label (`k=v,…`, `<none>`).
    /// `labels` holds each row's labels, in row order.
    pub fn label_columns(
        &mut self,
        labels: &[&crate::model::StringMap],
        keys: &[String],
        all: bool,
    ) {
        for key in keys {
            let header = key.rsplit('/').next().unwrap_or(key).to_uppercase();
            let cells = labels
                .iter()
                .map(|l| Cell::from(l.get(key).cloned().unwrap_or_default()))
                .collect();
            self.push_column(header, cells);
        }
        if all {
            let cells = labels
                .iter()
                .map(|l| {
                    if l.is_empty() {
                        Cell::from("<none>")
                    } else {
                        let pairs: Vec<String> =
                            l.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        Cell::from(pairs.join(","))
                    }
                })
                .collect();
            self.push_column("LABELS", cells);
        }
    }

    /// The table as text, colored as decided at start-up; without headers for
    /// `--no-headers`.
    pub fn render(&self, headers: bool) -> String {
        self.render_with(headers, super::color::enabled())
    }

    pub fn render_with(&self, headers: bool, color: bool) -> String {
        let header_cells: Vec<Cell> = self.headers.iter().map(Cell::from).collect();
        let lines: Vec<&Vec<Cell>> = std::iter::once(&header_cells)
            .filter(|_| headers)
            .chain(&self.rows)
            .collect();
        let columns = lines.iter().map(|r| r.len()).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                lines
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.text.width())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in lines {
            let mut line = String::new();
            let last = row.len().saturating_sub(1);
            for (c, cell) in row.iter().enumerate() {
                let mut text = cell.text.clone();
                if c != last {
                    let pad = widths[c].saturating_sub(cell.text.width()) + 3;
                    text.push_str(&" ".repeat(pad));
                }
                // Trailing blanks of the padding go before color codes are added.
                if c == last || row[c + 1..].iter().all(|n| n.text.is_empty()) {
                    text.truncate(text.trim_end().len());
                }
                line.push_str(&cell.style.paint(&text, color));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
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
            t.render_with(true, false),
            "NAME         INJECT   REASON\nweb          yes\nfrontend-ü   no       why\n"
        );
        // Without headers, as kubectl's --no-headers, the rows alone set the widths.
        assert_eq!(
            t.render_with(false, false),
            "web          yes\nfrontend-ü   no    why\n"
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
            t.render_with(true, false),
            "NAME   REV      APP   LABELS\nweb    canary   web   app=web,istio.io/rev=canary\ndb                    <none>\n"
        );
    }

    #[test]
    fn color_does_not_change_widths_or_words() {
        let mut t = Table::new(["A", "B"]);
        t.row(vec![Cell::styled("yes", Style::Good), "x".into()]);
        let out = t.render_with(true, true);
        assert_eq!(out, "A     B\n\u{1b}[32myes   \u{1b}[0mx\n");
    }
}
