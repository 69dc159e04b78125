//! Column layout as kubectl prints it (a tabwriter with 3 spaces of padding).

#![warn(missing_docs)]

/// Renders `header` and `rows` as aligned columns (each as wide as its
/// widest cell plus 3 spaces, at least 6; trailing spaces trimmed).
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            s.push_str(c);
            if i + 1 < cols {
                // tabwriter's minwidth 6 includes the padding (cli-runtime
                // `pkg/printers/tabwriter.go`).
                for _ in c.chars().count()..(widths[i] + 3).max(6) {
                    s.push(' ');
                }
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
    out
}
