//! The Markdown blocks every part of `report.md` (and `compare`'s output) is made of: tables
//! and paragraphs, in their own module so that each section's renderer can use them without
//! depending on the renderer of the whole report.
use crate::format;
use crate::model::{Align, Table, Value};

/// A table with its title before and its notes after it, each a paragraph.
pub(crate) fn table(table: &Table) -> String {
    let mut out = table.title.as_deref().map_or(String::new(), paragraph);
    let row = |cells: Vec<String>| {
        let mut line = String::from("|");
        cells
            .iter()
            .for_each(|c| line += &format!(" {} |", escape(c)));
        line + "\n"
    };
    out += &row(table.columns.iter().map(|c| c.name.clone()).collect());
    out += "|";
    for column in &table.columns {
        out += match column.align {
            Align::Left => ":--|",
            Align::Right => "--:|",
        };
    }
    out.push('\n');
    for cells in &table.rows {
        out += &row(cells.iter().map(cell).collect());
    }
    out.push('\n');
    for note in &table.notes {
        out += &paragraph(note);
    }
    out
}

/// A cell's text: emphasis is Markdown's, the number `format`'s.
fn cell(value: &Value) -> String {
    match value {
        Value::Strong(text) => format!("**{text}**"),
        other => format::value(other),
    }
}

/// Free text kept on one line and inside its table cell.
fn escape(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

/// A paragraph: the text and a blank line.
pub(crate) fn paragraph(text: &str) -> String {
    format!("{text}\n\n")
}
