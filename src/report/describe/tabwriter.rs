//! Go's `text/tabwriter`, as `kubectl describe` configures it
//! (`tabbedString` in `staging/src/k8s.io/kubectl/pkg/describe/describe.go`:
//! `Init(buf, 0, 8, 2, ' ', 0)` — minimum width 0, padding 2, spaces, no
//! flags).
//!
//! The text is lines of tab-terminated cells; the text after a line's last
//! tab is not a cell of any column. A column is aligned over a *block*: the
//! consecutive lines that have a cell in it (a line without a tab ends every
//! block), nested inside the block of the column to its left. Each cell of
//! the block is padded to the block's widest cell plus the padding. This is
//! why kubectl's describe output aligns a value with the keys of the lines
//! around it, and why a section title without a tab (`Containers:`) starts
//! a new alignment.

#![warn(missing_docs)]

/// `text` laid out as Go's tabwriter lays it out with `minwidth` and
/// `padding` (padding with spaces, no flags).
pub fn layout(text: &str, minwidth: usize, padding: usize) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut w = Layout { lines: &lines, minwidth, padding, out: String::with_capacity(text.len() * 2) };
    let mut widths = Vec::new();
    w.format(&mut widths, 0, lines.len());
    // Every line but the last ended with a newline in `text`.
    w.out.pop();
    w.out
}

struct Layout<'a> {
    lines: &'a [Vec<&'a str>],
    minwidth: usize,
    padding: usize,
    out: String,
}

fn width(cell: &str) -> usize {
    cell.chars().count()
}

impl Layout<'_> {
    /// `Writer.format`: lays out lines `line0..line1`, whose columns left
    /// of `widths.len()` already have their widths.
    fn format(&mut self, widths: &mut Vec<usize>, mut line0: usize, line1: usize) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            // A cell in this column: the line has more than column + 1
            // cells (the last one is not tab-terminated).
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            self.write_lines(widths, line0, this);
            line0 = this;
            let mut w = self.minwidth;
            while this < line1 && column + 1 < self.lines[this].len() {
                w = w.max(width(self.lines[this][column]) + self.padding);
                this += 1;
            }
            widths.push(w);
            self.format(widths, line0, this);
            widths.pop();
            line0 = this;
        }
        self.write_lines(widths, line0, line1);
    }

    /// `Writer.writeLines`: each cell, padded to its column's width when
    /// the column has one; a newline after each line.
    fn write_lines(&mut self, widths: &[usize], line0: usize, line1: usize) {
        for line in &self.lines[line0..line1] {
            for (j, cell) in line.iter().enumerate() {
                self.out.push_str(cell);
                if j < widths.len() {
                    for _ in width(cell)..widths[j] {
                        self.out.push(' ');
                    }
                }
            }
            self.out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `text/tabwriter` examples and tests (`example_test.go`,
    /// `tabwriter_test.go`), with padding 2 and minwidth 0 unless given.
    #[test]
    fn lays_out_as_go_tabwriter() {
        let l = |s: &str| layout(s, 0, 2);
        assert_eq!(l("Name:\tkubia\nNamespace:\tdefault\n"), "Name:       kubia\nNamespace:  default\n");
        // A line without a tab ends the block.
        assert_eq!(l("a:\t1\nTitle:\nlonger:\t2\n"), "a:  1\nTitle:\nlonger:  2\n");
        // Nested columns: column 1 is aligned only over lines that have it.
        assert_eq!(l("a\tb\tc\naaa\tbbbb\td\nx\ty\n"), "a    b     c\naaa  bbbb  d\nx    y\n");
        // An empty cell still takes its column's width.
        assert_eq!(l("Labels:\tapp=kubia\n\tenv=prod\n"), "Labels:  app=kubia\n         env=prod\n");
        // Text without a final newline stays so.
        assert_eq!(l("a\tb"), "a  b");
        // Go's test "1 cell": "a\tb\tc\n" over minwidth 8.
        assert_eq!(
            layout("a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n", 8, 1),
            "a       b       c\naa      bbb     cccc\naaa     bbbb\n"
        );
        // Multi-byte text counts in characters.
        assert_eq!(l("é\tx\nab\ty\n"), "é   x\nab  y\n");
    }
}
