//! Markdown as the page writes it: the page being written, a line or a
//! table row at a time, text made safe for a table cell, and inline code.

/// The page being written.
pub(crate) struct Page(pub(crate) String);

impl Page {
    pub(crate) fn line(&mut self, text: &str) {
        self.0.push_str(text);
        self.0.push('\n');
    }

    /// A table row of `cells`, made safe for a cell by the caller.
    pub(crate) fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        let cells: Vec<&str> = cells.iter().map(AsRef::as_ref).collect();
        self.line(&format!("| {} |", cells.join(" | ")));
    }

    /// A table's header row, and the line under it.
    pub(crate) fn head<S: AsRef<str>>(&mut self, cells: &[S]) {
        self.row(cells);
        self.line(&format!("|{}", "---|".repeat(cells.len())));
    }
}

/// Text made safe for a table cell: no `|`, no line breaks.
pub(crate) fn cell_text(text: &str) -> String {
    let text = text.replace('|', "\\|").replace(['\n', '\r'], " ");
    // Outside code spans (between backticks), `<` would open an HTML tag
    // and `*` emphasis: a label `Mutex<u64>, *m.lock() += 1` must read as
    // written.
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 0 {
                part.replace('<', "&lt;").replace('*', "\\*")
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// Inline code, fenced with enough backticks for its content.
pub(crate) fn code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_stay_in_their_cell() {
        assert_eq!(cell_text("a|b\nc"), "a\\|b c");
        assert_eq!(
            cell_text("Mutex<u64>, *m.lock() += 1 `Mutex<()>`"),
            "Mutex&lt;u64>, \\*m.lock() += 1 `Mutex<()>`"
        );
        assert_eq!(code("cargo xtask bench"), "`cargo xtask bench`");
        assert_eq!(code("echo `x`"), "`` echo `x` ``");
    }
}
